"""Datasets and transforms. The tiny datasets in the stock on-disk formats live in
:mod:`mmnas.datasets.tiny`; the stock dataset classes read them. :class:`SplitDataset` cuts a
dataset into the weight and architecture splits of a bilevel search."""
from .split import SplitDataset, split_indices

__all__ = ['SplitDataset', 'split_indices']
