import statistics

import numpy as np
import pytest

from aisfolio.ensemble.meta_features import META_FEATURES, meta_features


def test_hand_computed_rows():
    p = np.array([[1.0, 2.0, 6.0, 3.0], [-1.0, -1.0, -1.0, -1.0], [0.0, 4.0, -4.0, 2.0]])
    std0 = np.sqrt((4 + 1 + 9 + 0) / 4)
    std2 = np.sqrt((0.25 + 12.25 + 20.25 + 2.25) / 4)
    expected = np.array(
        [
            [3.0, std0, 2.5, 5.0, 3.0 * std0, 5.0 * std0],
            [-1.0, 0.0, -1.0, 0.0, 0.0, 0.0],
            [0.5, std2, 1.0, 8.0, 0.5 * std2, 8.0 * std2],
        ]
    )
    np.testing.assert_allclose(meta_features(p), expected)
    assert META_FEATURES == ("mean", "std", "median", "range", "mean_x_std", "range_x_std")


def test_each_row_matches_the_statistics_module():
    p = np.random.default_rng(3).normal(size=(25, 7))
    features = meta_features(p)
    for row, got in zip(p, features, strict=True):
        values = row.tolist()
        mean, std = statistics.fmean(values), statistics.pstdev(values)
        spread = max(values) - min(values)
        expected = [mean, std, statistics.median(values), spread, mean * std, spread * std]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_one_column():
    np.testing.assert_allclose(
        meta_features(np.array([[2.0], [5.0]]))[:, :4], [[2, 0, 2, 0], [5, 0, 5, 0]]
    )


@pytest.mark.parametrize("bad", [np.ones(4), np.ones((3, 0))])
def test_needs_a_matrix_with_columns(bad):
    with pytest.raises(ValueError, match="2-D array with at least one column"):
        meta_features(bad)
