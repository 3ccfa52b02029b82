"""Import TensorFlow and Keras quietly, with the TensorFlow backend.

Only modules that need the networks import this; `import watermark` and the CLI's help do not.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import tensorflow as tf

__all__ = ["keras", "tf"]
