"""formcheck in the browser: live webcam coaching and recorded-video analysis.

    streamlit run app.py            (?mode=live|recorded|history&exercise=<id> preselects)

Thin: widgets and layout only. The engine is formcheck.engine.analysis (through
formcheck.apps.live for the camera and formcheck.apps.app_support for recorded clips).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from formcheck.apps import history_page
from formcheck.apps.app_support import (
    analyze_for_page,
    auto_for_page,
    candidates_table,
    fault_table,
    fault_timeline,
    metric_chart,
    rep_table,
)
from formcheck.engine.specs import ExerciseSpec, load_specs
from formcheck.io_utils import safe_stem

ROOT = Path(__file__).resolve().parent
SAMPLES = ROOT / "sample_videos"
UPLOAD_TYPES = ["mp4", "mov", "webm", "avi", "m4v", "mkv"]
MODES = {"live": "Live coaching", "recorded": "Recorded video", "history": "History"}


@st.cache_resource
def specs() -> dict[str, ExerciseSpec]:
    return load_specs()


def model_setting() -> str | None:
    """The pose model: the shipped one, or a .task file the user names (checked here)."""
    from formcheck.media.pose import ModelUnavailable, check_model

    with st.sidebar.expander("Settings"):
        path = st.text_input("Pose model (.task file, empty = the shipped full model)", key="model_path").strip()
    if not path:
        return None
    try:
        return str(check_model(path))
    except ModelUnavailable as e:
        st.sidebar.error(str(e))
        return None


AUTO = "auto"


def sidebar() -> tuple[str, ExerciseSpec | None]:
    """The mode and the exercise (None: ``auto``, recognised from the movement)."""
    q = st.query_params
    modes = list(MODES)
    mode = st.sidebar.radio(
        "Mode", modes, index=modes.index(q.get("mode", "live")) if q.get("mode") in modes else 0, format_func=MODES.get
    )
    ids = [AUTO, *specs()]
    default = q.get("exercise", "seated_row")
    ex = st.sidebar.selectbox(
        "Exercise",
        ids,
        index=ids.index(default) if default in ids else 1,
        format_func=lambda i: "auto: recognise it from the movement" if i == AUTO else specs()[i].name,
    )
    if ex == AUTO:
        st.sidebar.caption(
            "formcheck tells the exercise from the movement (after a few reps), shows its guess and how sure it "
            "is, and switches when you change exercise; you can pin the one it found."
        )
        return mode, None
    spec = specs()[ex]
    st.sidebar.caption(spec.summary)
    st.sidebar.caption(f"Camera: {spec.view_advice}.")
    return mode, spec


# ----------------------------------------------------------------------- live
def live_page(spec: ExerciseSpec | None, model: str | None) -> None:
    import av
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    from formcheck.apps import live_page as lp

    st.header(f"Live coaching: {spec.name}" if spec else "Live coaching: which exercise is it?")
    advice = f"Set the camera up first: {spec.view_advice}. " if spec else "Film from the side, whole body in view. "
    st.info(
        advice + "Counting starts once you hold the start position with your whole body in view. "
        "Pick the camera with SELECT DEVICE, then START."
    )
    # one coach per browser session and exercise (tabs never share a count), kept on the server so a
    # reloaded tab finds its count again
    coach = lp.coach_for(spec, model)
    history_page.attach_live(coach)  # saved at New set, Reset, STOP and each counted rep

    def on_frame(frame: av.VideoFrame) -> av.VideoFrame:
        t = float(frame.time) if frame.time is not None else 0.0
        out = coach.process(t, frame.to_ndarray(format="rgb24"))
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    left, right = st.columns([3, 2])
    with left:
        try:
            ctx = webrtc_streamer(
                key=f"live-{spec.id if spec else AUTO}",
                mode=WebRtcMode.SENDRECV,
                video_frame_callback=on_frame,  # runs on a worker thread; it keeps only the newest frame
                media_stream_constraints={"video": True, "audio": False},
                rtc_configuration={"iceServers": []},  # local only: no STUN/TURN lookups
                async_processing=True,
            )
            history_page.watch_stream(coach, ctx, f"coach:{spec.id if spec else AUTO}")
        except Exception as e:  # e.g. no WebRTC runtime (Streamlit's AppTest): say so, keep the page
            st.error(
                f"The webcam component could not start here ({type(e).__name__}). Use 'formcheck live' in a terminal."
            )
    with right:
        b1, b2 = st.columns(2)
        if b1.button("New set", width="stretch"):
            coach.new_set()
        if b2.button("Reset", width="stretch"):
            coach.reset()
        voice = lp.voice_controls(coach)
        live_voice(coach, voice)
        live_stats(coach)


@st.fragment(run_every=0.25)
def live_voice(coach, voice: dict) -> None:
    """The coach's new utterances, to the browser's own voice (a light fragment, run often)."""
    from formcheck.apps import live_page as lp

    lp.speaker(coach, voice)


@st.fragment(run_every=0.5)
def live_stats(coach) -> None:
    s = coach.snapshot()
    if s.auto:
        recognition(coach, s)
    c1, c2, c3 = st.columns(3)
    c1.metric("Reps", s.reps)
    c2.metric("Set", s.set_number)
    c3.metric("Processing", f"{s.processing_fps:.0f} fps")
    st.markdown(f"**Reps this set: {s.reps}**" + (f" (earlier sets: {', '.join(map(str, s.sets))})" if s.sets else ""))
    if s.cue:
        st.error(f"Cue: {s.cue}")
    elif s.guidance:
        st.warning(f"Guidance: {s.guidance}")
    elif s.started:
        st.success("Good form")
    size = f" | frame size {s.size[0]}x{s.size[1]} (changed {s.resizes} times)" if s.size else ""
    st.caption(f"view: {s.view} | frames processed: {s.frames} ({s.frame_ms:.0f} ms each){size}")
    if s.last_rep:
        r = s.last_rep
        rom = next((v for k, v in r.items() if k.startswith("rom_")), None)
        st.markdown(
            f"Last rep: ROM {rom} deg, up {r['concentric_s']:.1f} s, hold {r['hold_s']:.1f} s, down {r['eccentric_s']:.1f} s"
            + (f", faults: {', '.join(r['faults'])}" if r["faults"] else "")
        )
    if s.faults:
        st.markdown("Faults so far: " + ", ".join(f"`{k}` x{v}" for k, v in sorted(s.faults.items())))
    said = [u.text for u, _ in coach.utterances()][-4:]
    if said:
        st.caption("Said: " + " / ".join(f"\u201c{w}\u201d" for w in said))
    history_page.rep_checkpoint(coach, s)


def recognition(coach, s) -> None:
    """Auto: the exercise recognised, how sure, pin it or recognise again; earlier exercises."""
    from formcheck.pipeline import NONE_OF_THEM

    def name(i: str) -> str:
        return specs()[i].name if i in specs() else i

    if s.guess is None:
        st.info("Recognising the exercise: start your set (it takes a few reps).")
    elif s.guess[0] is None:
        st.warning(NONE_OF_THEM[0].upper() + NONE_OF_THEM[1:] + " (yet).")
    else:
        st.success(f"Recognised: {name(s.guess[0])} (confidence {s.guess[1]:.0%})")
    if s.pinned:
        st.button(
            f"Pinned to {name(s.pinned)}: recognise again", on_click=coach.recogniser.pin, args=(None,), key="unpin"
        )
    elif s.exercise != AUTO:
        st.button(f"Pin {name(s.exercise)}", on_click=coach.recogniser.pin, args=(s.exercise,), key="pin")
    if s.done:
        st.caption("Before: " + ", ".join(f"{name(i)} {n} reps" for i, n in s.done))


# ------------------------------------------------------------------- recorded


def recorded_page(spec: ExerciseSpec | None, model: str | None) -> None:
    from formcheck.media.pose import ModelUnavailable
    from formcheck.media.video import VideoError
    from formcheck.pipeline import NoPersonError

    st.header(f"Recorded video: {spec.name}" if spec else "Recorded video: which exercise is it?")
    key = spec.id if spec else AUTO
    how = st.radio("Clip", ["A sample video", "Upload a clip"], horizontal=True)
    upload = sample = None
    if how == "Upload a clip":
        upload = st.file_uploader("Video (mp4, mov, webm, avi)", type=UPLOAD_TYPES)
    else:
        names = sorted(p.name for p in SAMPLES.glob("*.mp4"))
        want = st.query_params.get("sample")
        sample = st.selectbox("Sample video", names, index=names.index(want) if want in names else 0)
    if st.button("Analyse", type="primary", disabled=upload is None and sample is None):
        with tempfile.TemporaryDirectory() as d:  # nothing is left behind, whatever happens
            work = Path(d)
            if upload is not None:
                path = work / f"upload_{safe_stem(Path(upload.name).stem)}{Path(upload.name).suffix.lower()}"
                path.write_bytes(upload.getvalue())
                name = upload.name
            else:
                path, name = SAMPLES / str(sample), str(sample)
            bar = st.progress(0.0, text="Analysing...")

            def progress(done: int, total: int) -> None:
                if done % 10 == 0 or done == total:
                    bar.progress(min(done / max(total, 1), 1.0), text=f"Analysing... frame {done} of {total}")

            try:
                if spec is None:
                    res: Any = auto_for_page(path, specs(), work, progress, name=name, model=model)
                    reports = [a.report for _, a in res.parts]
                else:
                    res = analyze_for_page(path, spec, work, progress, name=name, model=model)
                    reports = [res.report]
            except (VideoError, NoPersonError, ModelUnavailable) as e:
                bar.empty()
                st.error(str(e).replace(str(path), name))
                st.session_state.pop("analysis", None)
                return
            bar.progress(1.0, text="Done")
            st.session_state["analysis"] = (key, name, res)
            for report in reports:
                history_page.record_analysis(report, name, None if upload is not None else path.resolve())
    got = st.session_state.get("analysis")
    if got and got[0] == key:
        if spec is None:
            show_auto(got[1], got[2])
        else:
            show_results(spec, got[1], got[2])


def show_auto(name: str, res) -> None:
    """Auto: what was recognised (or that it looks like none of the exercises), the segments of a
    recording with several exercises, and the results of the one picked."""
    rec = res.recognition
    if not res.parts:
        st.warning(f"{name}: {rec['message'][0].upper() + rec['message'][1:]}, so nothing was analysed.")
        seen = ", ".join(f"{k} {v:.0%}" for k, v in rec.get("posture", {}).items() if v >= 0.1)
        if seen:
            st.caption(f"Body position seen: {seen}")
        st.markdown("**Closest exercises and why they were rejected**")
        st.dataframe(candidates_table(rec), hide_index=True, width="stretch")
        return
    if len(res.parts) == 1:
        spec, analysis = res.parts[0]
        st.success(f"Recognised: {spec.name} (confidence {rec['confidence']:.0%})")
        with st.expander("Why this exercise"):
            st.dataframe(candidates_table(rec), hide_index=True, width="stretch")
        show_results(spec, name, analysis)
        return
    st.success(f"This recording holds {len(res.parts)} exercises:")
    rows = [
        {
            "segment": k,
            "exercise": spec.name,
            "from s": a.report["segment"]["start_s"],
            "to s": a.report["segment"]["end_s"],
            "reps": a.report["rep_count"],
            "confidence": f"{a.report['segment']['confidence']:.0%}",
        }
        for k, (spec, a) in enumerate(res.parts, 1)
    ]
    st.dataframe(rows, hide_index=True)
    k = st.selectbox("Segment", range(1, len(res.parts) + 1), format_func=lambda i: f"{i}: {rows[i - 1]['exercise']}")
    spec, analysis = res.parts[k - 1]
    show_results(spec, name, analysis)


def show_results(spec: ExerciseSpec, name: str, res) -> None:
    rep = res.report
    st.subheader(f"Results: {name}")
    c = st.columns(4)
    c[0].metric("Reps", rep["rep_count"])
    c[1].metric("Faults", len(rep["faults"]))
    c[2].metric("View", rep["view"])
    c[3].metric("Pose found", f"{rep['frames_with_pose']:.0%}")
    for w in rep["warnings"]:
        st.caption(f"warning: {w['message']} ({w['start_s']:.1f}-{w['end_s']:.1f} s)")
    left, right = st.columns([3, 2])
    with left:
        rep_ids = [r["index"] for r in rep["reps"]]
        pick = st.selectbox("Go to rep", ["whole clip", *rep_ids])
        start = 0 if pick == "whole clip" else int(next(r["start_s"] for r in rep["reps"] if r["index"] == pick))
        st.video(res.video, start_time=start)
        stem = safe_stem(Path(name).stem)
        d = st.columns(4)
        d[0].download_button("Annotated video", res.video, f"{stem}.annotated.mp4", "video/mp4")
        d[1].download_button("Report (JSON)", json.dumps(rep, indent=2), f"{stem}.report.json", "application/json")
        d[2].download_button("Reps (CSV)", res.reps_csv, f"{stem}.reps.csv", "text/csv")
        history_page.report_button(rep, res.video, name, d[3])
    with right:
        if pick != "whole clip":
            for label, img in res.thumbs.get(pick, []):
                st.image(img, caption=f"rep {pick}: {label}", width="stretch")
    st.markdown("**Per rep**")
    st.dataframe(rep_table(rep), hide_index=True, width="stretch")
    st.markdown("**Fault timeline** (green: counted reps)")
    st.altair_chart(fault_timeline(rep), width="stretch")
    if rep["faults"]:
        st.dataframe(fault_table(rep), hide_index=True, width="stretch")
    metrics = [m for m in spec.metrics if m in res.series.columns]
    m = st.selectbox(
        "Angle over time",
        metrics,
        index=metrics.index(spec.reps.metric),
        format_func=lambda k: spec.metrics[k].label or k,
    )
    st.altair_chart(metric_chart(res.series, spec, rep, m), width="stretch")


def main() -> None:
    st.set_page_config(page_title="formcheck", layout="wide")
    mode, spec = sidebar()
    model = model_setting()
    history_page.sidebar_settings()
    if mode == "live":
        live_page(spec, model)
    elif mode == "history":
        history_page.show()
    else:
        recorded_page(spec, model)


main()
