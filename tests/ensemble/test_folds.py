import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import GridSearchCV

from aisfolio.ensemble.folds import ChronologicalSplit


@st.composite
def splitters(draw):
    window = draw(st.sampled_from(["expanding", "rolling"]))
    return ChronologicalSplit(
        n_splits=draw(st.integers(1, 8)),
        gap=draw(st.integers(0, 6)),
        window=window,
        train_size=draw(st.integers(1, 40)) if window == "rolling" else None,
        test_size=draw(st.none() | st.integers(1, 15)),
    )


@settings(max_examples=300, deadline=None)
@given(cv=splitters(), n_samples=st.integers(1, 150))
def test_no_fold_trains_on_or_after_its_validation_block_and_the_purge_holds(cv, n_samples):
    X = np.zeros((n_samples, 2))
    try:
        folds = list(cv.split(X))
    except ValueError as error:
        assert f"n_samples={n_samples}" in str(error)
        block = cv.test_size or n_samples // (cv.n_splits + 1)
        assert block < 1 or n_samples - cv.n_splits * block - cv.gap < 1
        return
    assert len(folds) == cv.get_n_splits(X) == cv.n_splits
    previous_end = None
    for train, test in folds:
        assert train.size >= 1 and test.size >= 1
        # The purge: at least `gap` rows strictly between training and validation.
        assert train.max() + cv.gap < test.min()
        assert test.max() < n_samples
        np.testing.assert_array_equal(test, np.arange(test.min(), test.max() + 1))
        np.testing.assert_array_equal(train, np.arange(train.min(), train.max() + 1))
        assert train.max() == test.min() - cv.gap - 1  # nothing more is purged than asked
        if cv.window == "expanding":
            assert train.min() == 0
        else:
            assert train.size == min(cv.train_size, test.min() - cv.gap)
        if previous_end is not None:
            assert test.min() == previous_end + 1  # consecutive blocks, oldest first
        previous_end = test.max()
    assert previous_end == n_samples - 1  # the blocks end at the last row
    mask = cv.validation_mask(n_samples)
    validated = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.flatnonzero(mask), validated)
    assert not mask[: folds[0][1].min()].any()  # the first block has no OOF prediction


def test_the_docstring_example():
    folds = [
        (train.tolist(), test.tolist())
        for train, test in ChronologicalSplit(3, gap=1).split(np.zeros((12, 1)))
    ]
    assert folds == [
        ([0, 1], [3, 4, 5]),
        ([0, 1, 2, 3, 4], [6, 7, 8]),
        ([0, 1, 2, 3, 4, 5, 6, 7], [9, 10, 11]),
    ]


def test_rolling_window_slides():
    cv = ChronologicalSplit(3, gap=2, window="rolling", train_size=3, test_size=2)
    folds = [(train.tolist(), test.tolist()) for train, test in cv.split(np.zeros((14, 1)))]
    assert folds == [([3, 4, 5], [8, 9]), ([5, 6, 7], [10, 11]), ([7, 8, 9], [12, 13])]


def test_it_is_a_scikit_learn_splitter():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ [1.0, -1.0, 0.5] + rng.normal(size=120)
    cv = ChronologicalSplit(4, gap=2)
    search = GridSearchCV(Ridge(), {"alpha": [0.1, 10.0]}, cv=cv).fit(X, y)
    assert search.n_splits_ == 4
    assert RidgeCV(alphas=(0.1, 10.0), cv=cv).fit(X, y).alpha_ in (0.1, 10.0)
    assert "gap=2" in repr(cv) and "n_splits=4" in repr(cv)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_splits": 0}, "n_splits"),
        ({"gap": -1}, "gap"),
        ({"window": "sliding"}, "window"),
        ({"window": "rolling"}, "train_size"),
        ({"test_size": 0}, "test_size"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        list(ChronologicalSplit(**params).split(np.zeros((50, 1))))


def test_too_few_rows_is_a_clear_error():
    with pytest.raises(ValueError, match=r"5 chronological folds with gap=1 from n_samples=6"):
        list(ChronologicalSplit(5, gap=1).split(np.zeros((6, 1))))
