"""Recipes: one command per corpus, in seven resumable stages (the stage logic lives here
once; ``recipes/<corpus>/run.sh`` only calls ``specae recipe <corpus>``).

1 prepare manifests from the local corpus copy; 2 feature cache and normaliser statistics
(``--nj`` worker processes); 3 layer-wise pretraining; 4 fine-tuning (``--ngpu N``: torchrun,
DistributedDataParallel); 5 evaluation on the test split with the baselines; 6 listening
page; 7 report. See ``recipes/README.md``.
"""

from specae.recipes.config import RecipeConfig, RecipeSettings, load_recipe_config
from specae.recipes.corpora import CORPORA
from specae.recipes.run import Launch, Run
from specae.recipes.stages import STAGES, run_stages

__all__ = ["CORPORA", "STAGES", "Launch", "RecipeConfig", "RecipeSettings", "Run", "load_recipe_config",
           "run_stages"]
