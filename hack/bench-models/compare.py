"""Run scikit-learn K-means and statsmodels Holt-Winters on the data written by
bench-models and print them next to the Go figures (times, inertia, forecasts)."""
import json
import sys
import time
import warnings

import numpy as np
import pandas as pd

out = sys.argv[1]
go = json.load(open(f"{out}/go-results.json"))

from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

x = pd.read_csv(f"{out}/kmeans.csv", header=None).to_numpy()
z = StandardScaler().fit_transform(x)  # population std, as the Go code
gk = go["kmeans"]
for n_init in (1, 3):
    t0 = time.perf_counter()
    km = KMeans(n_clusters=8, init="k-means++", n_init=n_init, random_state=0, algorithm="lloyd").fit(z)
    sec = time.perf_counter() - t0
    print(f"K-means sklearn n_init={n_init}: {sec:.2f}s inertia {km.inertia_:.1f} iterations {km.n_iter_}"
          f" | Go {gk['seconds']:.2f}s inertia {gk['inertia']:.1f}"
          f" | time Go/sklearn {gk['seconds']/sec:.2f}  inertia Go/sklearn-1 {gk['inertia']/km.inertia_-1:+.4%}")

from statsmodels.tsa.holtwinters import ExponentialSmoothing

y = pd.read_csv(f"{out}/series.csv", header=None)[0].to_numpy()
hw = go["holtWinters"]
h = hw["horizon"]
truth = np.array(hw["truth"])  # noise-free future of the synthetic series
for kind, sm_kind in (("additive", "add"), ("multiplicative", "mul")):
    g = hw[kind]
    gf = np.array(g["forecast"])
    gp = g["params"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Same model check: statsmodels evaluated at Go's fitted parameters and states.
        same = ExponentialSmoothing(y, trend="add", seasonal=sm_kind, seasonal_periods=hw["period"],
                                    initialization_method="known", initial_level=g["initialLevel"],
                                    initial_trend=g["initialTrend"], initial_seasonal=np.array(g["initialSeasonal"])
                                    ).fit(smoothing_level=gp["alpha"], smoothing_trend=gp["beta"],
                                          smoothing_seasonal=gp["gamma"], optimized=False)
        sf_same = same.forecast(h)
        t0 = time.perf_counter()
        fit = ExponentialSmoothing(y, trend="add", seasonal=sm_kind, seasonal_periods=hw["period"],
                                   initialization_method="estimated").fit()
        sf = fit.forecast(h)
        sec = time.perf_counter() - t0
    p = fit.params
    print(f"Holt-Winters {kind:14s} same parameters in statsmodels: SSE {same.sse:.1f} (Go {g['sse']:.1f}), "
          f"forecast rel. diff max {np.abs(gf / sf_same - 1).max():.2e}")
    rel = np.abs(gf / sf - 1)
    print(f"Holt-Winters {kind:14s} statsmodels own fit (estimated): {sec:.4f}s α={p['smoothing_level']:.3f} "
          f"β={p['smoothing_trend']:.3f} γ={p['smoothing_seasonal']:.3f} SSE={fit.sse:.1f}"
          f" | Go {g['seconds']:.4f}s α={gp['alpha']:.3f} β={gp['beta']:.3f} γ={gp['gamma']:.3f} SSE={g['sse']:.1f}"
          f" | time Go/statsmodels {g['seconds']/sec:.3f}  forecast rel. diff max {rel.max():.2%} mean {rel.mean():.2%}")
    print(f"Holt-Winters {kind:14s} MAPE against the noise-free future: Go {np.abs(gf / truth - 1).mean():.2%}, "
          f"statsmodels {np.abs(sf / truth - 1).mean():.2%}")
