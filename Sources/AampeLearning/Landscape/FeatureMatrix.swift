/// A row-major dense matrix of `Float`: one row per user, one column per feature.
///
/// The landscape's steps (``RobustScaler``, ``PCAModel``, ``KMeans``) all read and write this one layout,
/// so a user's features are contiguous and a step can hand a row to the next without copying a column.
public struct FeatureMatrix: Sendable, Hashable {
    /// The number of rows (users).
    public var rows: Int
    /// The number of columns (features).
    public var columns: Int
    /// `rows * columns` values, row after row: the value at (`row`, `column`) is at `row * columns + column`.
    public var values: [Float]

    /// A matrix over `values`, which must hold exactly `rows * columns` values, row-major.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(rows >= 0 && columns >= 0, "a matrix has a non-negative shape")
        precondition(values.count == rows * columns, "a \(rows) × \(columns) matrix holds \(rows * columns) values")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A `rows` × `columns` matrix of zeros.
    public init(rows: Int, columns: Int) {
        self.init(rows: rows, columns: columns, values: [Float](repeating: 0, count: rows * columns))
    }

    /// The value at (`row`, `column`); both must be in range.
    public subscript(row: Int, column: Int) -> Float {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of the matrix")
            return values[row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "index out of the matrix")
            values[row * columns + column] = newValue
        }
    }

    /// Row `row`'s values, a copy.
    public func row(_ row: Int) -> [Float] {
        precondition(row >= 0 && row < rows, "row out of the matrix")
        return Array(values[(row * columns)..<((row + 1) * columns)])
    }
}
