"""Training: the networks learn jointly, through the noise layer, on photos from a folder.

`data` (photos, crops, planes), `noise_layer` (the attacks, as differentiable counterparts of
`core.attacks`), `trainer` (the joint model and its two losses), `checkpoints` (resumable
state, the optimizer, export of the inference networks with their `model.json`), `train` and
`distill` (the two runs), `commands` (`wm train`, `wm distill`). Needs TensorFlow.
"""
