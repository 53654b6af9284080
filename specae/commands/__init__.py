"""Sub-commands of the ``specae`` CLI; each module has ``add_parser(sub)`` and ``run(args)``."""

from specae.commands import (
    baselines_cmd,
    decode_cmd,
    demo_cmd,
    distortion_cmd,
    encode_cmd,
    eval_cmd,
    features_cmd,
    listen_cmd,
    rd_cmd,
    recipe_cmd,
    reconstruct_cmd,
    resynth_cmd,
    train_cmd,
)

COMMANDS = (features_cmd, resynth_cmd, distortion_cmd, train_cmd, encode_cmd, decode_cmd, reconstruct_cmd,
            eval_cmd, listen_cmd, demo_cmd, baselines_cmd, rd_cmd, recipe_cmd)
