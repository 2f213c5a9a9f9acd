"""Features that remove the expected: a sector is judged against itself and its peers."""

from telecom_nb.features.base import FeatureExtractor
from telecom_nb.features.change import ShortTermChange
from telecom_nb.features.peers import PeerComparison
from telecom_nb.features.pipeline import KpiFeatures
from telecom_nb.features.seasonal import SeasonalResiduals
from telecom_nb.features.view import BatchView, infer_kpis, make_view

__all__ = [
    "BatchView",
    "FeatureExtractor",
    "KpiFeatures",
    "PeerComparison",
    "SeasonalResiduals",
    "ShortTermChange",
    "infer_kpis",
    "make_view",
]
