"""ALPGMMTeacher against the reference procedure (scikit-learn GaussianMixture
refits, brute-force nearest neighbours) and its contract."""

import pickle

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

from skmix.curriculum import ALPGMMTeacher, GridCompetenceEnv, RandomTeacher
from skmix.curriculum._nearest import IncrementalNearestNeighbor

LOW, HIGH = np.array([-1.0, 0.0, 10.0]), np.array([1.0, 5.0, 20.0])


def _feedback(n, seed=0):
    rng = np.random.default_rng(seed)
    tasks = rng.uniform(LOW, HIGH, size=(n, 3))
    rewards = np.sin(tasks[:, 0] * 3) + 0.1 * tasks[:, 1] + rng.normal(0, 0.05, n)
    return tasks, rewards


def test_nearest_neighbour_index_is_exact_across_rebuilds():
    rng = np.random.default_rng(0)
    points = rng.random((3000, 4))
    index = IncrementalNearestNeighbor(4, min_buffer=100)
    for i, point in enumerate(points):
        if i:
            distances = np.linalg.norm(points[:i] - point, axis=1)
            nearest, distance = index.query(point)
            assert nearest == np.argmin(distances)
            assert distance == pytest.approx(distances.min())
        index.add(point)
    assert index._n_in_tree > 2000  # the tree was rebuilt along the way


def test_alp_against_brute_force_in_normalised_space_within_batches():
    tasks, rewards = _feedback(700)
    teacher = ALPGMMTeacher(LOW, HIGH, random_state=0)
    for start in range(0, 700, 33):  # batches straddle the refits
        teacher.tell(tasks[start : start + 33], rewards[start : start + 33])
    normalised = (tasks - LOW) / (HIGH - LOW)
    expected = [0.0]
    for i in range(1, 700):
        nearest = np.argmin(np.linalg.norm(normalised[:i] - normalised[i], axis=1))
        expected.append(abs(rewards[i] - rewards[nearest]))
    np.testing.assert_allclose(teacher.alps_, expected, rtol=1e-12)
    np.testing.assert_array_equal(teacher.tasks_, tasks)


def test_reward_bounds_rescale_alp():
    tasks, rewards = _feedback(50)
    plain = ALPGMMTeacher(LOW, HIGH).tell(tasks, rewards)
    scaled = ALPGMMTeacher(LOW, HIGH, reward_bounds=(-10, 10)).tell(tasks, rewards)
    np.testing.assert_allclose(scaled.alps_, plain.alps_ / 20, rtol=1e-12)


@pytest.mark.parametrize("criterion", ["aic", "bic"])
def test_refits_match_the_sklearn_reference(criterion):
    tasks, rewards = _feedback(520)
    teacher = ALPGMMTeacher(LOW, HIGH, criterion=criterion, random_state=3)
    teacher.tell(tasks, rewards)
    assert [entry["episode"] for entry in teacher.refit_log_] == [250, 500]
    data = np.column_stack([tasks[250:500], teacher.alps_[250:500]])
    reference = {
        k: getattr(
            SklearnGaussianMixture(k, random_state=teacher._fit_seed).fit(data),
            criterion,
        )(data)
        for k in range(2, 11)
    }
    entry = teacher.refit_log_[-1]
    assert entry["scores"].keys() == reference.keys()
    for k, score in reference.items():
        assert entry["scores"][k] == pytest.approx(score, rel=1e-6)
    assert entry["n_components"] == min(reference, key=reference.get)
    assert teacher.mixture_.means.shape == (entry["n_components"], 4)


def test_aicc_counts_parameters_in_task_plus_alp_dimensions():
    tasks, rewards = _feedback(250)
    teacher = ALPGMMTeacher(
        LOW, HIGH, criterion="aicc", candidate_components=[2], random_state=0
    ).tell(tasks, rewards)
    data = np.column_stack([tasks, teacher.alps_])
    aic = SklearnGaussianMixture(2, random_state=teacher._fit_seed).fit(data).aic(data)
    p = 2 * (4 * 5 / 2) + 2 * 4 + 1  # full covariances and means in 4-D, weights
    expected = aic + 2 * p * (p + 1) / (250 - p - 1)
    assert teacher.refit_log_[0]["scores"][2] == pytest.approx(expected, rel=1e-6)


def test_bootstrap_then_random_ratio_then_alp_proportional_components():
    tasks, rewards = _feedback(250)
    teacher = ALPGMMTeacher(LOW, HIGH, random_state=0)
    first = teacher.ask(10)
    assert np.all(teacher.origins_ == -1)
    assert np.all((first >= LOW) & (first <= HIGH))
    teacher.tell(tasks, rewards)
    # Force a known mixture: component 1 has zero mean ALP, never chosen.
    state = teacher.state_dict()
    state["mixture"]["means"][:, -1] = 0.0
    state["mixture"]["means"][0, -1] = 0.3
    teacher.load_state_dict(state)
    teacher.ask(4000)
    origins = teacher.origins_[10:]
    assert np.mean(origins == -1) == pytest.approx(0.2, abs=0.03)
    assert set(np.unique(origins)) == {-1, 0}


def test_truncated_sampling_stays_inside_without_piling_on_the_bounds():
    tasks, rewards = _feedback(250)
    for out_of_bounds, expect_on_bounds in [("clip", True), ("truncate", False)]:
        teacher = ALPGMMTeacher(
            LOW,
            HIGH,
            out_of_bounds=out_of_bounds,
            random_task_ratio=0.0,
            random_state=0,
        ).tell(tasks, rewards)
        state = teacher.state_dict()
        state["mixture"]["covariances"][:, :-1, :-1] *= 25.0  # wide components
        drawn = teacher.load_state_dict(state).ask(500)
        assert np.all((drawn >= LOW) & (drawn <= HIGH))
        assert np.any((drawn == LOW) | (drawn == HIGH)) == expect_on_bounds


def _play(teacher, env, n_episodes, batch=1):
    for _ in range(n_episodes // batch):
        tasks = teacher.ask(batch)
        teacher.tell(tasks, env.run(tasks))
    return teacher


def test_same_seed_same_curriculum_and_seed_zero_is_a_seed():
    runs = [
        _play(
            ALPGMMTeacher([0, 0], [1, 1], random_state=seed), GridCompetenceEnv(), 600
        )
        for seed in (0, 0, 1)
    ]
    np.testing.assert_array_equal(runs[0].tasks_, runs[1].tasks_)
    assert not np.array_equal(runs[0].tasks_, runs[2].tasks_)


@pytest.mark.parametrize("via", ["pickle", "state_dict"])
def test_resuming_continues_exactly(via):
    env = GridCompetenceEnv()
    teacher = _play(ALPGMMTeacher(env.low, env.high, random_state=5), env, 400)
    if via == "pickle":
        resumed = pickle.loads(pickle.dumps(teacher))
    else:
        resumed = ALPGMMTeacher(env.low, env.high, random_state=99)
        resumed.load_state_dict(teacher.state_dict())
    env_copy = pickle.loads(pickle.dumps(env))
    _play(teacher, env, 300, batch=10)
    _play(resumed, env_copy, 300, batch=10)
    np.testing.assert_array_equal(resumed.tasks_, teacher.tasks_)
    np.testing.assert_array_equal(resumed.alps_, teacher.alps_)
    np.testing.assert_array_equal(resumed.origins_, teacher.origins_)
    np.testing.assert_array_equal(resumed.mixture_.means, teacher.mixture_.means)


def test_reference_style_aliases():
    env = GridCompetenceEnv()
    teacher = ALPGMMTeacher(env.low, env.high, random_state=0)
    for _ in range(260):
        task = teacher.sample_task()
        teacher.update(task, env.episode(task))
    dump = teacher.dump({"extra": 1})
    assert dump["extra"] == 1 and dump["episodes"] == [250]
    assert dump["tasks_alps"].shape == (260, 3)
    assert len(dump["tasks_origin"]) == 260 and len(dump["means"]) == 1


@pytest.mark.parametrize(
    "tasks, rewards, match",
    [
        ([[0.5, 2.0, 30.0]], [1.0], "outside"),
        ([[0.5, 2.0]], [1.0], "shape"),
        ([[0.5, 2.0, 15.0]], [np.nan], "rewards contain NaN"),
        ([[0.5, np.inf, 15.0]], [1.0], "tasks contain NaN"),
        ([[0.5, 2.0, 15.0]] * 2, [1.0], "one reward per task"),
    ],
)
def test_bad_feedback_is_rejected_and_leaves_the_teacher_untouched(
    tasks, rewards, match
):
    teacher = ALPGMMTeacher(LOW, HIGH, random_state=0).tell(*_feedback(5))
    before = teacher.state_dict()
    with pytest.raises(ValueError, match=match):
        teacher.tell(tasks, rewards)
    np.testing.assert_array_equal(teacher.tasks_, before["tasks"])
    assert teacher.n_episodes_ == 5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"low": [0, 1], "high": [1, 1]}, "high > low"),
        ({"low": [0], "high": [1, 2]}, "same non-zero length"),
        ({"criterion": "hqic"}, "criterion"),
        ({"random_task_ratio": 1.5}, "random_task_ratio"),
        ({"reward_bounds": (1, 0)}, "reward_bounds"),
    ],
)
def test_bad_parameters(kwargs, match):
    params = {"low": [0, 0], "high": [1, 1], **kwargs}
    with pytest.raises(ValueError, match=match):
        ALPGMMTeacher(**params)


def test_alp_gmm_learns_more_of_the_toy_environment_than_random():
    scores = {}
    for name, teacher_class in [("random", RandomTeacher), ("alp", ALPGMMTeacher)]:
        env = GridCompetenceEnv(10, 2)
        _play(teacher_class(env.low, env.high, random_state=0), env, 6000, batch=10)
        scores[name] = env.score()
    assert scores["alp"] >= scores["random"] + 5
