"""formcheck: count reps and flag form faults in back exercises from video.

The package has four wings and one glue module:

* ``formcheck.engine``  pure: landmarks, geometry, filters, metrics, views, back
  outline, specs, reps, the analyser, sets, recognition and segmentation.
  Imports nothing from the other wings.
* ``formcheck.media``   the pose-model adapter, video in and out, drawing.
* ``formcheck.results`` reports, evaluation, programmes.
* ``formcheck.apps``    command line, batch, live coaching, page helpers.
* ``formcheck.pipeline`` runs media -> engine over a clip or a stream.

The engine in one loop::

    from formcheck.engine.specs import get_spec
    from formcheck.engine.analysis import Analyzer

    an = Analyzer(get_spec("reverse_fly"), width, height)
    for frame in pose_frames:          # formcheck.engine.landmarks.PoseFrame, in time order
        state = an.update(frame)       # reps so far, current cue, metrics
    result = an.result()               # reps, faults, warnings
"""

__version__ = "0.1.0"
