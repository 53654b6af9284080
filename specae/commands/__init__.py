"""Sub-commands of the ``specae`` CLI; each module has ``add_parser(sub)`` and ``run(args)``."""

from specae.commands import distortion_cmd, features_cmd, resynth_cmd, train_cmd

COMMANDS = (features_cmd, resynth_cmd, distortion_cmd, train_cmd)
