"""The live page's session and voice: coaches kept per browser session, spoken cues.

``app.py`` calls :func:`coach_for` (the browser session's coach, found again
after a reload), :func:`voice_controls` (on/off, voice, what is spoken, volume:
remembered per browser session) and :func:`speaker` (in a fragment: hands the
coach's new utterances to the browser's own ``speechSynthesis``; nothing leaves
the machine, nothing is downloaded). What is said and when is decided in
:mod:`formcheck.apps.cues`; the JavaScript only speaks, drops what is more than
a second late, and remembers (in the tab's ``sessionStorage``) what it spoke.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

import streamlit as st

from .coach_registry import BrowserSession, CoachRegistry
from .cues import MAX_AGE_S, SPOKEN

SID = "sid"  # the URL parameter naming the browser session
WHAT = {"both": "Counts and cues", "count": "Counts only", "cues": "Cues only"}
DEFAULTS: dict[str, Any] = {"voice_on": True, "voice_name": "", "voice_what": "both", "voice_volume": 1.0}

_SPEAK_JS = """
export default function(component) {
  const { data } = component;
  const synth = window.speechSynthesis;
  if (!data || !synth) return;
  const key = "formcheck.spoken." + data.sid;
  const s = window.__formcheckSpeech || (window.__formcheckSpeech = { queue: [], timer: null });
  if (s.key !== key) { s.key = key; s.last = Number(sessionStorage.getItem(key) || 0); s.queue = []; }
  const now = performance.now();
  for (const u of data.utterances) {
    if (u.id <= s.last) continue;
    s.last = u.id;
    sessionStorage.setItem(key, String(u.id));
    if (!data.on || u.age_s > data.max_age_s) continue;  // too late to help: dropped, never queued
    s.queue.push({ text: u.text, deadline: now + (data.max_age_s - u.age_s) * 1000 });
  }
  s.voice = data.voice; s.volume = data.volume;
  if (!data.on) { s.queue = []; synth.cancel(); }
  const next = () => {
    const t = performance.now();
    s.queue = s.queue.filter((q) => q.deadline >= t);
    if (!s.queue.length || synth.speaking || synth.pending) return;
    const q = s.queue.shift();
    const ut = new SpeechSynthesisUtterance(q.text);
    ut.volume = s.volume;
    const v = synth.getVoices().find((v) => v.name === s.voice);
    if (v) { ut.voice = v; ut.lang = v.lang; }
    synth.speak(ut);
  };
  next();
  if (!s.timer) s.timer = setInterval(next, 100);
}
"""

_VOICES_JS = """
export default function(component) {
  const { setStateValue } = component;
  const synth = window.speechSynthesis;
  if (!synth) return;
  const send = () => {
    const names = synth.getVoices().map((v) => v.name);
    if (names.join("|") !== window.__formcheckVoices) {
      window.__formcheckVoices = names.join("|");
      setStateValue("voices", names);
    }
  };
  send();
  synth.addEventListener("voiceschanged", send);
  return () => synth.removeEventListener("voiceschanged", send);
}
"""


@functools.cache
def _component(name: str, js: str) -> Any:
    return st.components.v2.component(name, js=js)


@st.cache_resource(show_spinner=False)
def registry() -> CoachRegistry:
    """Every browser session's coaches, for the life of the server."""
    return CoachRegistry(alive=_session_open)


def _session_open(session_id: str) -> bool:
    from streamlit.runtime import Runtime

    return Runtime.exists() and Runtime.instance().is_active_session(session_id)


def _me() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:  # pragma: no cover - only outside a script run
        return st.session_state.setdefault("_fc_me", uuid.uuid4().hex)
    return ctx.session_id


def browser_session() -> tuple[str, BrowserSession]:
    """This browser session's id (in the URL, so a reload keeps it) and what it keeps."""
    reg = registry()
    sid = reg.claim(st.query_params.get(SID), _me())
    if st.query_params.get(SID) != sid:
        st.query_params[SID] = sid
    return sid, reg.session(sid)


def coach_for(spec: Any, model: str | None) -> Any:
    """The browser session's coach for this exercise (None: auto) and model: made once, kept
    on the server across reloads (``session_state`` holds it too, for the page's hooks)."""
    from .live import LiveCoach

    sid, _ = browser_session()
    key = f"coach:{spec.id if spec else 'auto'}" + (f":{model}" if model else "")
    coach = registry().coach(sid, key, lambda: LiveCoach(spec, model=model))
    st.session_state[key] = coach
    return coach


def voice_controls(coach: Any) -> dict[str, Any]:
    """Voice on/off, which voice, what is spoken and the volume; remembered per browser
    session (a reload keeps them). Sets what the coach's cue scheduler releases."""
    _, bs = browser_session()
    for k, v in DEFAULTS.items():
        if k not in st.session_state:
            st.session_state[k] = bs.settings.get(k, v)
    with st.expander("Voice", expanded=False):
        st.toggle("Speak the count and cues", key="voice_on")
        names = bs.settings.get("voices_available") or []
        if st.session_state["voice_name"] not in ["", *names]:
            st.session_state["voice_name"] = ""
        st.selectbox(
            "Which voice", ["", *names], key="voice_name", format_func=lambda n: n or "the browser's default voice"
        )
        st.radio("Say", list(WHAT), key="voice_what", format_func=WHAT.get, horizontal=True)
        st.slider("Volume", 0.0, 1.0, step=0.1, key="voice_volume")
        got = _component("formcheck_voices", _VOICES_JS)(
            key="formcheck_voices", on_voices_change=lambda: None, height=0
        )
        voices = list(getattr(got, "voices", None) or [])
        if voices and voices != names:
            bs.settings["voices_available"] = voices
            st.rerun()
        if not names:
            st.caption("Voices: the browser's own (it lists none yet, so its default voice speaks).")
    settings = {k: st.session_state[k] for k in DEFAULTS}
    bs.settings.update(settings)
    coach.cues.kinds = SPOKEN[settings["voice_what"]] if settings["voice_on"] else frozenset()
    return settings


def speaker(coach: Any, settings: dict[str, Any]) -> None:
    """Hand the coach's latest utterances to the browser (call from a fragment)."""
    sid, _ = browser_session()
    data = {
        "sid": sid,
        "on": bool(settings["voice_on"]),
        "voice": settings["voice_name"],
        "volume": float(settings["voice_volume"]),
        "max_age_s": MAX_AGE_S,
        "utterances": [
            {"id": u.id, "text": u.text, "age_s": round(u.late_s + age, 3)} for u, age in coach.utterances()
        ],
    }
    _component("formcheck_speech", _SPEAK_JS)(key="formcheck_speech", data=data, height=0)
