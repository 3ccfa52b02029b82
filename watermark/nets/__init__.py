"""The networks: the Keras models (`model`), how TensorFlow is imported (`tf_env`), and how the
shipped weights are found and run (`runtime`: LiteRT, or Keras as the reference).
"""
