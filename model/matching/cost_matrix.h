// A read-only view of a dense cost matrix, the input of the assignment solver.
#pragma once

#include <cstdint>

namespace mdetr::matching {

// Row-major (rows x cols) matrix of T (float or double). Entry (i, j) is data[i * row_stride + j],
// so a block of columns of a wider matrix is a view without a copy: the Hungarian matcher solves,
// for each image of a batch, the columns of that image's targets within the batch's
// [queries x all targets] cost matrix.
//
// The view does not own `data`; it must outlive every call that takes the view.
template <typename T>
struct CostMatrixView {
  const T* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t row_stride = 0;  // Elements from one row to the next; at least cols.

  // A contiguous matrix (row_stride == cols).
  static CostMatrixView Dense(const T* data, int64_t rows, int64_t cols) {
    return CostMatrixView{data, rows, cols, cols};
  }
  // Columns [first_col, first_col + cols) of a contiguous (rows x total_cols) matrix.
  static CostMatrixView ColumnBlock(const T* data, int64_t rows, int64_t total_cols, int64_t first_col,
                                    int64_t cols) {
    return CostMatrixView{data + first_col, rows, cols, total_cols};
  }

  const T& at(int64_t row, int64_t col) const { return data[row * row_stride + col]; }
};

}  // namespace mdetr::matching
