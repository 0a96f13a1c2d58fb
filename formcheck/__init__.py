"""formcheck: count reps and flag form faults in back exercises from video.

The engine in one loop::

    from formcheck.specs import get_spec
    from formcheck.analysis import Analyzer

    an = Analyzer(get_spec("reverse_fly"), width, height)
    for frame in pose_frames:          # formcheck.landmarks.PoseFrame, in time order
        state = an.update(frame)       # reps so far, current cue, metrics
    result = an.result()               # reps, faults, warnings

``formcheck.pipeline`` wires it to video files and the pose model,
``formcheck.cli`` to the command line.
"""

__version__ = "0.1.0"
