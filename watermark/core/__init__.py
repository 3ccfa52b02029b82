"""The core: pure functions on numpy arrays, no files, no TensorFlow.

Geometry between a photo and the plane (`tiling`), the mark's lattice and how a copy is read
(`lattice`, `reading`), keys (`keys`), marks (`marks`), the perceptual gain (`masking`), the
decision and its p-value (`verify`), measures (`metrics`, `luma`) and the attacks a photo meets
(`attacks`). The networks come in as callables (`reading.Network`).
"""
