"""Figure for the back-curvature measure on the shipped cat-cow clip.

    python docs/make_back_figure.py      # writes docs/back_curvature.png

Top: frames at a rounded and an arched moment with the traced back outline
(yellow) and its chord. Bottom: the curvature signal over time with the
hand-labelled rounded (cat) and arched (cow) phases shaded.
"""

from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from formcheck.landmarks import Landmark as L  # noqa: E402
from formcheck.landmarks import PoseSeq  # noqa: E402
from formcheck.silhouette import back_curvature  # noqa: E402
from formcheck.video import iter_frames  # noqa: E402
from formcheck.views import body_yaw  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CAT = [(0.5, 2.7), (7.1, 9.5)]
COW = [(4.5, 6.0), (10.8, 12.3)]


def main() -> None:
    seq = PoseSeq.load(ROOT / "tests/fixtures/landmarks/cat_cow_side.npz")
    curv = []
    for i in range(len(seq)):
        side = "RIGHT" if body_yaw(seq.world[i]) < 0 else "LEFT"
        curv.append(back_curvature(seq.back[i], seq.xy[i, L[f"{side}_SHOULDER"]], seq.xy[i, L[f"{side}_HIP"]])[0])
    curv = np.array(curv)
    picks = {1.6: "rounded (cat)", 5.3: "arched (cow)"}
    thumbs = {}
    for t, rgb in iter_frames(ROOT / "sample_videos/cat_cow_side.mp4"):
        for pt in picks:
            if abs(t - pt) < 0.017:
                i = int(np.argmin(np.abs(seq.t_s - t)))
                b = seq.back[i][np.isfinite(seq.back[i]).all(1)]
                img = rgb.copy()
                cv2.polylines(img, [np.int32(b).reshape(-1, 1, 2)], False, (255, 230, 0), 8)
                cv2.line(img, tuple(int(v) for v in b[0]), tuple(int(v) for v in b[-1]), (255, 255, 255), 3)
                thumbs[pt] = img[520:1420, :]
    fig = plt.figure(figsize=(10, 7))
    gs = fig.add_gridspec(2, 2, height_ratios=[1.1, 1])
    for k, pt in enumerate(picks):
        ax = fig.add_subplot(gs[0, k])
        ax.imshow(thumbs[pt])
        ax.set_title(f"t = {pt:.1f} s: {picks[pt]}, {curv[np.argmin(np.abs(seq.t_s - pt))]:+.1f} %")
        ax.axis("off")
    ax = fig.add_subplot(gs[1, :])
    for lo, hi in CAT:
        ax.axvspan(lo, hi, color="tab:red", alpha=0.15, label="labelled rounded" if lo == CAT[0][0] else None)
    for lo, hi in COW:
        ax.axvspan(lo, hi, color="tab:blue", alpha=0.15, label="labelled arched" if lo == COW[0][0] else None)
    ax.plot(seq.t_s, curv, "k-", lw=1.5, label="back curvature")
    ax.axhline(5, color="tab:red", ls="--", lw=1, label="back_not_flat: rounded > 5 %")
    ax.axhline(-10, color="tab:blue", ls="--", lw=1, label="arched < -10 %")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("% of torso length (+ rounded, - arched)")
    ax.legend(loc="lower left", fontsize=8, ncol=2)
    ax.set_ylim(-12, 10)
    fig.tight_layout()
    fig.savefig(ROOT / "docs/back_curvature.png", dpi=80)


if __name__ == "__main__":
    main()
