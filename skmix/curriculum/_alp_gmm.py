"""ALP-GMM: a curriculum teacher sampling tasks by absolute learning progress.

Portelas, R., Colas, C., Hofmann, K. and Oudeyer, P.-Y. (2019). Teacher
algorithms for curriculum learning of deep RL in continuously parameterized
environments. CoRL.
"""

import warnings
from numbers import Integral
from typing import NamedTuple

import numpy as np

from .._core import aic, aicc, bic, n_mixture_parameters
from ..exceptions import DegenerateMixtureWarning
from ..mixture import GaussianMixture
from ..utils import check_param_float, check_param_int, check_param_option
from ._nearest import IncrementalNearestNeighbor

CRITERIA = ("aic", "bic", "aicc")
OUT_OF_BOUNDS = ("clip", "truncate")
RANDOM_ORIGIN = -1


class TaskMixture(NamedTuple):
    """The mixture tasks are drawn from, fitted over ``[task, ALP]``.

    Attributes
    ----------
    weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_task_dims + 1)
        The last column is each component's mean ALP.
    covariances : ndarray of shape (n_components, n_task_dims + 1, n_task_dims + 1)
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray


def information_criterion(mixture, data, criterion):
    """AIC, BIC or AICc of a fitted full-covariance mixture (lower is better).

    Parameters are counted in the dimension the mixture was fitted in (task
    dimensions plus the ALP dimension).
    """
    log_likelihood = float(mixture.score_samples(data).sum())
    n_samples, n_features = data.shape
    p = n_mixture_parameters("full", mixture.n_components, n_features)
    if criterion == "bic":
        return bic(log_likelihood, p, n_samples)
    if criterion == "aic":
        return aic(log_likelihood, p)
    return aicc(log_likelihood, p, n_samples)


def component_probabilities(alp_means):
    """Choose a component proportionally to its mean ALP (uniform if all zero)."""
    alp_means = np.clip(alp_means, 0.0, None)
    total = alp_means.sum()
    if not total > 0:
        return np.full(alp_means.size, 1.0 / alp_means.size)
    return alp_means / total


def _check_random_state(random_state):
    if random_state is None or isinstance(random_state, Integral):
        return np.random.SeedSequence(random_state)
    if isinstance(random_state, np.random.SeedSequence):
        return random_state
    raise TypeError(
        "random_state must be None, an int or a numpy.random.SeedSequence; "
        f"got {type(random_state).__name__}."
    )


class ALPGMMTeacher:
    """Curriculum teacher that samples tasks where absolute learning progress is.

    Every told episode gets an absolute learning progress (ALP): the absolute
    difference between its reward and the reward of the nearest earlier task
    (in task space normalised by the bounds, over the whole history). Every
    `fit_rate` episodes, Gaussian mixtures with each candidate number of
    components are fitted to the last `fit_rate` ``[task, ALP]`` rows and the
    best by `criterion` is kept. A task is then drawn uniformly with
    probability `random_task_ratio` (and during the first `fit_rate`
    episodes), otherwise from a component chosen proportionally to its mean
    ALP, from the Gaussian marginal over the task dimensions.

    Defaults are those of the reference implementation. A teacher is an online
    helper (``ask``/``tell``), not a scikit-learn estimator.

    Parameters
    ----------
    low, high : array-like of shape (n_task_dims,)
        Bounds of the task space.
    fit_rate : int, default=250
        Episodes between refits, and the size of the fitted window (and of the
        uniform bootstrap).
    candidate_components : sequence of int, default=range(2, 11)
    criterion : {'aic', 'bic', 'aicc'}, default='aic'
    random_task_ratio : float, default=0.2
    n_init : int, default=1
        EM initialisations per candidate mixture.
    out_of_bounds : {'clip', 'truncate'}, default='clip'
        'clip' (the reference) clips a Gaussian draw to the bounds, piling mass
        on the faces; 'truncate' redraws until the task is inside (the
        truncated Gaussian; clipped after 100 failed draws).
    reward_bounds : tuple of float, default=None
        ``(min, max)`` of the rewards; rewards are rescaled to [0, 1] (and
        clipped) before computing ALP. None uses rewards as they are.
    random_state : int, numpy.random.SeedSequence or None, default=None
        Seeds task sampling and the mixture fits (two independent streams
        spawned from one SeedSequence). 0 is a valid seed.
    backend : {'auto', 'numpy', 'numba', 'cupy'} or None, default=None
        Backend of the mixture fits.

    Attributes
    ----------
    n_episodes_ : int
        Episodes told so far.
    tasks_ : ndarray of shape (`n_episodes_`, n_task_dims)
    rewards_ : ndarray of shape (`n_episodes_`,)
        As told (before any rescaling).
    alps_ : ndarray of shape (`n_episodes_`,)
    origins_ : ndarray of int
        Component each asked task was drawn from (-1: uniform).
    mixture_ : TaskMixture or None
        The current mixture (None before the first refit).
    refit_log_ : list of dict
        One entry per refit: episode, n_components, scores (criterion per
        candidate), weights, means, covariances.

    Examples
    --------
    >>> from skmix.curriculum import ALPGMMTeacher, GridCompetenceEnv
    >>> env = GridCompetenceEnv(n_cells=10, n_dims=2)
    >>> teacher = ALPGMMTeacher(env.low, env.high, random_state=0)
    >>> for _ in range(10):
    ...     tasks = teacher.ask(50)
    ...     teacher = teacher.tell(tasks, env.run(tasks))
    >>> teacher.n_episodes_, len(teacher.refit_log_)
    (500, 2)
    """

    def __init__(
        self,
        low,
        high,
        *,
        fit_rate=250,
        candidate_components=range(2, 11),
        criterion="aic",
        random_task_ratio=0.2,
        n_init=1,
        out_of_bounds="clip",
        reward_bounds=None,
        random_state=None,
        backend=None,
    ):
        low = np.asarray(low, dtype=np.float64).ravel()
        high = np.asarray(high, dtype=np.float64).ravel()
        if low.shape != high.shape or low.size == 0:
            raise ValueError(
                f"low and high must have the same non-zero length; got {low.size} "
                f"and {high.size}."
            )
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError("low and high must be finite.")
        if not np.all(high > low):
            raise ValueError("Every bound must satisfy high > low.")
        self.low, self.high = low, high
        self.fit_rate = check_param_int(fit_rate, "fit_rate", 2)
        self.candidate_components = [
            check_param_int(k, "candidate_components", 1) for k in candidate_components
        ]
        if not self.candidate_components:
            raise ValueError("candidate_components must not be empty.")
        self.criterion = check_param_option(criterion, "criterion", CRITERIA)
        self.random_task_ratio = check_param_float(
            random_task_ratio, "random_task_ratio", 0.0, 1.0
        )
        self.n_init = check_param_int(n_init, "n_init", 1)
        self.out_of_bounds = check_param_option(
            out_of_bounds, "out_of_bounds", OUT_OF_BOUNDS
        )
        if reward_bounds is not None:
            reward_bounds = tuple(float(b) for b in reward_bounds)
            if len(reward_bounds) != 2 or not reward_bounds[1] > reward_bounds[0]:
                raise ValueError(
                    "reward_bounds must be (min, max) with max > min; "
                    f"got {reward_bounds}."
                )
        self.reward_bounds = reward_bounds
        self.random_state = random_state
        self.backend = backend

        sampling_seed, fitting_seed = _check_random_state(random_state).spawn(2)
        self._rng = np.random.Generator(np.random.PCG64(sampling_seed))
        self._fit_seed = int(fitting_seed.generate_state(1)[0] >> 1)
        self._index = IncrementalNearestNeighbor(low.size)
        self._tasks, self._rewards, self._alps, self._origins = [], [], [], []
        self.mixture_ = None
        self._task_factors = None
        self.refit_log_ = []

    # ------------------------------------------------------------- properties
    @property
    def n_task_dims(self):
        return self.low.size

    @property
    def n_episodes_(self):
        return len(self._rewards)

    @property
    def tasks_(self):
        return np.array(self._tasks, dtype=np.float64).reshape(-1, self.n_task_dims)

    @property
    def rewards_(self):
        return np.array(self._rewards, dtype=np.float64)

    @property
    def alps_(self):
        return np.array(self._alps, dtype=np.float64)

    @property
    def origins_(self):
        return np.array(self._origins, dtype=np.int64)

    # ------------------------------------------------------------- sampling
    def ask(self, n_tasks=1):
        """Draw tasks to train on next.

        Parameters
        ----------
        n_tasks : int, default=1

        Returns
        -------
        tasks : ndarray of shape (n_tasks, n_task_dims)
        """
        check_param_int(n_tasks, "n_tasks", 1)
        tasks = np.empty((n_tasks, self.n_task_dims))
        for i in range(n_tasks):
            tasks[i], origin = self._draw_task()
            self._origins.append(origin)
        return tasks

    def _draw_task(self):
        bootstrapping = self.n_episodes_ < self.fit_rate or self.mixture_ is None
        if bootstrapping or self._rng.random() < self.random_task_ratio:
            return self._rng.uniform(self.low, self.high), RANDOM_ORIGIN
        probabilities = component_probabilities(self.mixture_.means[:, -1])
        component = int(self._rng.choice(probabilities.size, p=probabilities))
        mean = self.mixture_.means[component, :-1]
        factor = self._task_factors[component]
        for _ in range(100 if self.out_of_bounds == "truncate" else 1):
            task = mean + factor @ self._rng.standard_normal(self.n_task_dims)
            if np.all((task >= self.low) & (task <= self.high)):
                return task, component
        return np.clip(task, self.low, self.high), component

    # ------------------------------------------------------------- feedback
    def _check_feedback(self, tasks, rewards):
        tasks = np.asarray(tasks, dtype=np.float64)
        if tasks.ndim == 1:
            tasks = tasks[None]
        if tasks.ndim != 2 or tasks.shape[1] != self.n_task_dims:
            raise ValueError(
                f"tasks must have shape (n, {self.n_task_dims}); got {tasks.shape}."
            )
        rewards = np.asarray(rewards, dtype=np.float64).ravel()
        if rewards.shape != (len(tasks),):
            raise ValueError(
                f"Got {len(tasks)} tasks but {rewards.size} rewards; one reward per "
                "task is needed."
            )
        if not np.all(np.isfinite(tasks)):
            raise ValueError("tasks contain NaN or infinity.")
        if not np.all(np.isfinite(rewards)):
            raise ValueError("rewards contain NaN or infinity.")
        outside = np.any((tasks < self.low) | (tasks > self.high), axis=1)
        if outside.any():
            row = int(np.argmax(outside))
            raise ValueError(
                f"{int(outside.sum())} task(s) lie outside [low, high]; the first is "
                f"row {row}: {tasks[row]}."
            )
        return tasks, rewards

    def _scaled_reward(self, reward):
        if self.reward_bounds is None:
            return reward
        low, high = self.reward_bounds
        return min(max((reward - low) / (high - low), 0.0), 1.0)

    def tell(self, tasks, rewards):
        """Report the rewards of episodes, in the order they were played.

        Each episode's ALP is computed against all earlier episodes, including
        earlier ones of the same call; the mixture is refitted whenever the
        episode count crosses a multiple of `fit_rate`. Input is fully checked
        before anything is recorded.

        Parameters
        ----------
        tasks : array-like of shape (n, n_task_dims)
        rewards : array-like of shape (n,)

        Returns
        -------
        self : ALPGMMTeacher
        """
        tasks, rewards = self._check_feedback(tasks, rewards)
        span = self.high - self.low
        for task, reward in zip(tasks, rewards, strict=True):
            scaled = self._scaled_reward(reward)
            position = (task - self.low) / span
            alp = 0.0
            if len(self._index):
                nearest, _ = self._index.query(position)
                alp = abs(scaled - self._scaled_reward(self._rewards[nearest]))
            self._index.add(position)
            self._tasks.append(task.copy())
            self._rewards.append(float(reward))
            self._alps.append(alp)
            if self.n_episodes_ % self.fit_rate == 0:
                self._refit()
        return self

    def _refit(self):
        data = np.column_stack(
            [self._tasks[-self.fit_rate :], self._alps[-self.fit_rate :]]
        )
        best, best_score, scores = None, np.inf, {}
        for n_components in self.candidate_components:
            if n_components > len(data):
                continue
            with warnings.catch_warnings():
                # ALP-GMM fits small mixtures to a few hundred recent tasks
                # and picks one by its criterion, as the reference does; a
                # degenerate candidate is the criterion's to judge.
                warnings.simplefilter("ignore", DegenerateMixtureWarning)
                mixture = GaussianMixture(
                    n_components,
                    covariance_type="full",
                    n_init=self.n_init,
                    random_state=self._fit_seed,
                    backend=self.backend,
                ).fit(data)
            scores[n_components] = float(
                information_criterion(mixture, data, self.criterion)
            )
            if scores[n_components] < best_score:
                best, best_score = mixture, scores[n_components]
        self._set_mixture(
            TaskMixture(
                best.weights_.copy(), best.means_.copy(), best.covariances_.copy()
            )
        )
        self.refit_log_.append(
            {
                "episode": self.n_episodes_,
                "n_components": best.n_components,
                "scores": scores,
                "weights": self.mixture_.weights,
                "means": self.mixture_.means,
                "covariances": self.mixture_.covariances,
            }
        )

    def _set_mixture(self, mixture):
        self.mixture_ = mixture
        task_covariances = mixture.covariances[:, :-1, :-1]
        self._task_factors = np.linalg.cholesky(task_covariances)

    # ------------------------------------------------------------- state
    def state_dict(self):
        """Everything needed to resume exactly (history, mixture, RNG state).

        Returns
        -------
        state : dict of plain Python objects and NumPy arrays
        """
        return {
            "tasks": self.tasks_,
            "rewards": self.rewards_,
            "alps": self.alps_,
            "origins": self.origins_,
            "mixture": None if self.mixture_ is None else self.mixture_._asdict(),
            "refit_log": list(self.refit_log_),
            "rng_state": self._rng.bit_generator.state,
            "fit_seed": self._fit_seed,
        }

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` into a teacher built with the same
        parameters.

        Parameters
        ----------
        state : dict

        Returns
        -------
        self : ALPGMMTeacher
        """
        tasks = np.asarray(state["tasks"], dtype=np.float64)
        if tasks.ndim != 2 or tasks.shape[1] != self.n_task_dims:
            raise ValueError(
                f"The state holds {tasks.shape[-1]}-D tasks; this teacher has "
                f"{self.n_task_dims} task dimensions."
            )
        self._index = IncrementalNearestNeighbor(self.n_task_dims)
        for task in tasks:
            self._index.add((task - self.low) / (self.high - self.low))
        self._tasks = list(tasks)
        self._rewards = [float(r) for r in state["rewards"]]
        self._alps = [float(a) for a in state["alps"]]
        self._origins = [int(o) for o in state["origins"]]
        self.mixture_, self._task_factors = None, None
        if state["mixture"] is not None:
            self._set_mixture(TaskMixture(**state["mixture"]))
        self.refit_log_ = list(state["refit_log"])
        self._rng.bit_generator.state = state["rng_state"]
        self._fit_seed = int(state["fit_seed"])
        return self

    # ------------------------------------------------- reference-style aliases
    def sample_task(self):
        """One task (the reference implementation's name for ``ask(1)[0]``)."""
        return self.ask(1)[0]

    def update(self, task, reward):
        """Tell one episode (the reference implementation's name)."""
        return self.tell(np.asarray(task, dtype=np.float64)[None], [reward])

    def dump(self, dump_dict):
        """Add the reference implementation's book-keeping keys to `dump_dict`."""
        dump_dict.update(
            {
                "weights": [entry["weights"] for entry in self.refit_log_],
                "covariances": [entry["covariances"] for entry in self.refit_log_],
                "means": [entry["means"] for entry in self.refit_log_],
                "episodes": [entry["episode"] for entry in self.refit_log_],
                "tasks_alps": np.column_stack([self.tasks_, self.alps_]),
                "tasks_origin": self._origins.copy(),
            }
        )
        return dump_dict
