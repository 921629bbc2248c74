"""A minimal compressed-sparse-row matrix in numpy: just the products the classifier needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Pairs materialised at once while forming a Gram matrix; bounds the memory of one chunk.
_PAIR_CHUNK = 1_000_000


@dataclass(frozen=True)
class CsrMatrix:
    """Rows stored as (indptr, indices, data); `shape` is (rows, columns)."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def from_rows(cls, rows: list[tuple[np.ndarray, np.ndarray]], dim: int) -> CsrMatrix:
        """Stack sparse rows given as (indices, values) pairs."""
        lengths = np.array([len(i) for i, _ in rows], dtype=np.int64)
        indptr = np.concatenate(([0], np.cumsum(lengths)))
        indices = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, np.int64)
        data = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        return cls(indptr, indices.astype(np.int64), data.astype(np.float64), (len(rows), dim))

    def row_ids(self) -> np.ndarray:
        """Row index of every stored entry."""
        return np.repeat(np.arange(self.shape[0]), np.diff(self.indptr))

    def transpose(self) -> CsrMatrix:
        """The transpose, again in CSR form (i.e. this matrix by columns)."""
        order = np.argsort(self.indices, kind="stable")
        counts = np.bincount(self.indices, minlength=self.shape[1])
        indptr = np.concatenate(([0], np.cumsum(counts)))
        return CsrMatrix(indptr, self.row_ids()[order], self.data[order], self.shape[::-1])

    def select_columns(self, lo: int, hi: int) -> CsrMatrix:
        """The columns lo..hi-1, renumbered from 0, rows scaled back to unit L2 norm."""
        keep = (self.indices >= lo) & (self.indices < hi)
        rows = self.row_ids()[keep]
        data = self.data[keep]
        norms = np.sqrt(np.bincount(rows, weights=data**2, minlength=self.shape[0]))
        data = data / np.where(norms > 0, norms, 1.0)[rows]
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=self.shape[0]))))
        return CsrMatrix(indptr, self.indices[keep] - lo, data, (self.shape[0], hi - lo))

    def rmatvec(self, a: np.ndarray) -> np.ndarray:
        """X^T a, a vector over the columns."""
        weights = self.data * np.repeat(a, np.diff(self.indptr))
        return np.bincount(self.indices, weights=weights, minlength=self.shape[1])

    def gram(self) -> np.ndarray:
        """X X^T as a dense (rows, rows) array, summing only over pairs that share a column."""
        # Text features are ~1 % dense, so pairing the entries of each column costs a few
        # million products where a dense product would cost billions.
        by_col = self.transpose()
        n = self.shape[0]
        lengths = np.diff(by_col.indptr)
        cost = np.cumsum(lengths.astype(np.int64) ** 2)
        out = np.zeros(n * n)
        first = 0
        while first < len(lengths):
            base = cost[first - 1] if first else 0
            last = max(int(np.searchsorted(cost, base + _PAIR_CHUNK, side="right")), first + 1)
            out += self._column_pairs(by_col, first, last, n)
            first = last
        return out.reshape(n, n)

    @staticmethod
    def _column_pairs(by_col: CsrMatrix, first: int, last: int, n: int) -> np.ndarray:
        """Flattened sum over columns first..last-1 of the outer product of each column."""
        lo, hi = by_col.indptr[first], by_col.indptr[last]
        lengths = np.diff(by_col.indptr[first : last + 1])
        rows, vals = by_col.indices[lo:hi], by_col.data[lo:hi]
        per_entry = np.repeat(lengths, lengths)
        col_start = np.repeat(by_col.indptr[first:last] - lo, lengths)
        left = np.repeat(np.arange(hi - lo), per_entry)
        offset = np.arange(per_entry.sum()) - np.repeat(np.cumsum(per_entry) - per_entry, per_entry)
        right = np.repeat(col_start, per_entry) + offset
        return np.bincount(
            rows[left] * n + rows[right], weights=vals[left] * vals[right], minlength=n * n
        )
