"""Running the pipeline's stages on a Ray cluster (the optional ``stream-ocr[cluster]`` extra).

Read in data-path order: ``runtime`` (joining or starting Ray), ``engine_actors`` (OCR
engines loaded once per actor, shared by every stream), ``stream_actors`` (one capture
and per-frame step per stream, sending its events through Redis) and ``video_chunks``
(a recorded video split into time chunks read in parallel, its tracks joined again).
"""
