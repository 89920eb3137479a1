"""Curriculum teachers: which task should a learner practise next?"""

from ._alp_gmm import ALPGMMTeacher, TaskMixture
from ._random import RandomTeacher
from ._toy_env import GridCompetenceEnv

__all__ = ["ALPGMMTeacher", "GridCompetenceEnv", "RandomTeacher", "TaskMixture"]
