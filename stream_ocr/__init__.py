"""stream-ocr: read text from live video, recorded video and still images.

The data path, module by module: sources -> slot -> engines -> tracking -> sinks.
Importing this package is cheap: TensorFlow loads only when an engine is built.
"""

__version__ = "0.1.0"
