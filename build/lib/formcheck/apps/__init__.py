"""Applications on top of the engine: the command line, batch runs, live coaching and
the Streamlit page's helpers. Thin: the work is in the engine and the pipeline."""
