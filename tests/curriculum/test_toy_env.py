import numpy as np
import pytest

from skmix.curriculum import GridCompetenceEnv


def _play(env, cell, times):
    task = (np.asarray(cell) + 0.5) / env.n_cells
    task = np.r_[task, np.full(env.n_useless_dims, 0.3)]
    return [env.episode(task) for _ in range(times)]


def test_origin_cell_learns_and_caps_at_max_competence():
    env = GridCompetenceEnv(10, 2)
    rewards = _play(env, (0, 0), 120)
    assert rewards[0] == pytest.approx(0.01)
    assert rewards[99] == rewards[-1] == 1.0
    assert env.competence[0, 0] == 100


def test_cells_unlock_from_their_previous_neighbours():
    env = GridCompetenceEnv(10, 2)
    assert _play(env, (1, 0), 5) == [0.0] * 5  # locked
    _play(env, (0, 0), 75)
    # (1, 0), (0, 1) and the diagonal (1, 1) have (0, 0) as a previous neighbour.
    for cell in [(1, 0), (0, 1), (1, 1)]:
        assert _play(env, cell, 1) == [0.01]
    # (2, 0) and (0, 2) need (1, 0) or (0, 1) at >= 75.
    assert _play(env, (2, 0), 1) == [0.0]
    assert _play(env, (0, 2), 1) == [0.0]


def test_unlock_needs_the_threshold_not_less():
    env = GridCompetenceEnv(4, 2)
    _play(env, (0, 0), 74)
    assert _play(env, (1, 0), 1) == [0.0]
    _play(env, (0, 0), 1)
    assert _play(env, (1, 0), 1) == [0.01]


def test_score_counts_cells_above_threshold_and_useless_dims_are_ignored():
    env = GridCompetenceEnv(10, 2, n_useless_dims=3)
    assert env.low.shape == env.high.shape == (5,)
    _play(env, (0, 0), 76)
    _play(env, (1, 0), 75)  # exactly 75: not counted
    assert env.score() == pytest.approx(1.0)
    assert env.cell_of([1.0, 1.0, 0.0, 1.0, 0.5]) == (9, 9)


def test_three_dimensional_previous_neighbours():
    env = GridCompetenceEnv(3, 3)
    _play(env, (0, 0, 0), 75)
    assert env.is_unlocked((1, 1, 1)) and env.is_unlocked((0, 1, 0))
    assert not env.is_unlocked((2, 0, 0))


@pytest.mark.parametrize(
    "task, match", [([0.5], "dimensions"), ([0.5, 1.2], "outside")]
)
def test_bad_task(task, match):
    with pytest.raises(ValueError, match=match):
        GridCompetenceEnv(10, 2).episode(task)
