import numpy as np
import pandas as pd
import pytest
from sklearn.covariance import LedoitWolf

from aisfolio.portfolio.allocation import RiskModel


def test_sample_covariance_is_numpys(index_returns):
    x = index_returns.to_numpy()
    got = RiskModel("sample").factors(x)
    np.testing.assert_allclose(got.covariance, np.cov(x, rowvar=False), rtol=1e-12)
    np.testing.assert_allclose(got.mean, x.mean(axis=0))


def test_ledoit_wolf_is_sklearns(index_returns):
    x = index_returns.to_numpy()
    got = RiskModel("ledoit_wolf").factors(x).covariance
    np.testing.assert_allclose(got, LedoitWolf().fit(x).covariance_, rtol=1e-10)


def test_ewma_is_pandas_exponentially_weighted_covariance(index_returns):
    x = index_returns.iloc[:200]
    got = RiskModel("ewma", halflife=20.0).factors(x.to_numpy()).covariance
    expected = x.ewm(halflife=20.0, adjust=True).cov(bias=True).loc[x.index[-1]].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_unknown_estimator_and_short_window_are_refused():
    with pytest.raises(ValueError, match="risk must be one of"):
        RiskModel("garch")
    with pytest.raises(ValueError, match="at least 2"):
        RiskModel().factors(np.ones((1, 3)))


def test_pandas_frame_and_array_agree(index_returns):
    a = RiskModel().factors(index_returns.to_numpy()).covariance
    b = RiskModel().factors(pd.DataFrame(index_returns).to_numpy()).covariance
    np.testing.assert_array_equal(a, b)
