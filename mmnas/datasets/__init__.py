"""Datasets and transforms. The tiny datasets in the stock on-disk formats live in
:mod:`mmnas.datasets.tiny`; the stock dataset classes read them."""
