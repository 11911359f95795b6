/// The passes over the full matrix: column means, the centred Gram matrix, and projection. They are the
/// only O(rows) work of the PCA, so they run on raw buffers, in fixed chunks over `threads` threads.
extension PCAModel {
    /// Rows per chunk of the parallel passes: a few hundred KB of a 60-column matrix.
    static let rowsPerChunk = 2_048
    /// Rows per block of the Gram pass; a transposed block of 60 columns (30 KB of Float) stays in L1.
    static let gramBlockRows = 128

    /// Each column's mean, accumulated in `Double` per chunk and added in chunk order.
    static func columnMeans(_ matrix: FeatureMatrix, threads: Int) -> [Double] {
        let n = matrix.rows
        let d = matrix.columns
        let chunks = ParallelChunks(count: n, rowsPerChunk: rowsPerChunk * 4, threads: threads)
        let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunks.chunkCount * d)
        partial.initialize(repeating: 0)
        defer { partial.deallocate() }
        matrix.values.withUnsafeBufferPointer { values in
            let values = UnsafeSendable(values)
            let partial = UnsafeSendable(partial)
            chunks.run { chunk, rows in
                let x = values.buffer.baseAddress!
                let sums = partial.buffer.baseAddress! + chunk * d
                for row in rows {
                    let source = x + row * d
                    for column in 0..<d { sums[column] += Double(source[column]) }
                }
            }
        }
        var mean = [Double](repeating: 0, count: d)
        for chunk in 0..<chunks.chunkCount {
            for column in 0..<d { mean[column] += partial[chunk * d + column] }
        }
        return mean.map { $0 / Double(n) }
    }

    /// G = Σ (x − mean)(x − mean)ᵀ over the rows, d × d, row-major, symmetric.
    ///
    /// Each block of `gramBlockRows` rows is centred and transposed into `Float` columns (padded with zero
    /// rows and columns to whole SIMD vectors), the block's products are summed in `Float` (at most 128
    /// terms, so about 1e-6 relative), and added to a `Double` total per chunk; the chunks are added in
    /// order.
    static func centredGram(_ matrix: FeatureMatrix, mean: [Double], threads: Int) -> [Double] {
        let n = matrix.rows
        let d = matrix.columns
        // gramBlock reads columns j ... j + 3 for j from i up to d - 1, so up to column d + 2: three zeroed
        // columns past the last keep every read inside the block.
        let paddedColumns = d + 3
        let blockRows = gramBlockRows
        let chunks = ParallelChunks(count: n, rowsPerChunk: rowsPerChunk, threads: threads)
        let partial = UnsafeMutableBufferPointer<Double>.allocate(capacity: chunks.chunkCount * d * d)
        partial.initialize(repeating: 0)
        defer { partial.deallocate() }
        let floatMean = mean.map { Float($0) }
        matrix.values.withUnsafeBufferPointer { values in
            floatMean.withUnsafeBufferPointer { meanBuffer in
                let values = UnsafeSendable(values)
                let partial = UnsafeSendable(partial)
                let meanBuffer = UnsafeSendable(meanBuffer)
                chunks.run { chunk, rows in
                    let x = values.buffer.baseAddress!
                    let mu = meanBuffer.buffer.baseAddress!
                    let g = partial.buffer.baseAddress! + chunk * d * d
                    let block = UnsafeMutablePointer<Float>.allocate(capacity: paddedColumns * blockRows)
                    defer { block.deallocate() }
                    var start = rows.lowerBound
                    while start < rows.upperBound {
                        let count = min(blockRows, rows.upperBound - start)
                        block.initialize(repeating: 0, count: paddedColumns * blockRows)
                        for r in 0..<count {
                            let source = x + (start + r) * d
                            for column in 0..<d { block[column * blockRows + r] = source[column] - mu[column] }
                        }
                        gramBlock(block, blockRows: blockRows, columns: d, into: g)
                        start += count
                    }
                }
            }
        }
        var gram = [Double](repeating: 0, count: d * d)
        for chunk in 0..<chunks.chunkCount {
            for i in 0..<d {
                for j in i..<d { gram[i * d + j] += partial[chunk * d * d + i * d + j] }
            }
        }
        for i in 0..<d { for j in 0..<i { gram[i * d + j] = gram[j * d + i] } }
        return gram
    }

    /// Adds the upper triangle of one transposed block's products to `g`: four output columns at a time,
    /// so each load of column i serves four products.
    @inline(__always)
    static func gramBlock(
        _ block: UnsafeMutablePointer<Float>,
        blockRows: Int,
        columns d: Int,
        into g: UnsafeMutablePointer<Double>
    ) {
        let raw = UnsafeRawPointer(block)
        let stride = blockRows * MemoryLayout<Float>.stride
        for i in 0..<d {
            var j = i
            while j < d {
                var a0 = SIMD8<Float>()
                var a1 = SIMD8<Float>()
                var a2 = SIMD8<Float>()
                var a3 = SIMD8<Float>()
                let ci = raw + i * stride
                let cj = raw + j * stride
                var offset = 0
                while offset < stride {
                    let xi = ci.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    a0 += xi * cj.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                    a1 += xi * cj.loadUnaligned(fromByteOffset: offset + stride, as: SIMD8<Float>.self)
                    a2 += xi * cj.loadUnaligned(fromByteOffset: offset + 2 * stride, as: SIMD8<Float>.self)
                    a3 += xi * cj.loadUnaligned(fromByteOffset: offset + 3 * stride, as: SIMD8<Float>.self)
                    offset += 32
                }
                g[i * d + j] += Double(a0.sum())
                if j + 1 < d { g[i * d + j + 1] += Double(a1.sum()) }
                if j + 2 < d { g[i * d + j + 2] += Double(a2.sum()) }
                if j + 3 < d { g[i * d + j + 3] += Double(a3.sum()) }
                j += 4
            }
        }
    }

    /// The rows of `matrix` in component coordinates: rows × `componentCount`, row-major.
    public func project(_ matrix: FeatureMatrix) -> FeatureMatrix {
        project(matrix, threads: landscapeDefaultThreads)
    }

    /// ``project(_:)`` on up to `threads` threads.
    ///
    /// The components are held transposed, `paddedK` (k rounded up to a multiple of 8) per input column, so
    /// a row's centred value j is multiplied into eight outputs at once and each output is a sum over the
    /// columns in order, with no horizontal sums.
    public func project(_ matrix: FeatureMatrix, threads: Int) -> FeatureMatrix {
        precondition(
            matrix.columns == inputColumns,
            "the matrix has \(matrix.columns) columns, the model \(inputColumns)"
        )
        let n = matrix.rows
        let d = inputColumns
        let k = componentCount
        let paddedK = (k + 7) / 8 * 8
        var transposed = [Float](repeating: 0, count: d * paddedK)
        for c in 0..<k { for j in 0..<d { transposed[j * paddedK + c] = components[c * d + j] } }
        var output = [Float](repeating: 0, count: n * k)
        let chunks = ParallelChunks(count: n, rowsPerChunk: Self.rowsPerChunk, threads: threads)
        matrix.values.withUnsafeBufferPointer { values in
            mean.withUnsafeBufferPointer { mean in
                transposed.withUnsafeBytes { weights in
                    output.withUnsafeMutableBufferPointer { out in
                        let shared = UnsafeSendable((values, mean, weights, out))
                        chunks.run { _, rows in
                            let (values, mean, weights, out) = shared.buffer
                            let x = values.baseAddress!
                            let mu = mean.baseAddress!
                            let w = weights.baseAddress!
                            let o = out.baseAddress!
                            let rowStride = paddedK * MemoryLayout<Float>.stride
                            for r in rows {
                                let source = x + r * d
                                var group = 0
                                while group < paddedK {
                                    var acc = SIMD8<Float>()
                                    var p = w + group * MemoryLayout<Float>.stride
                                    for j in 0..<d {
                                        acc +=
                                            SIMD8<Float>(repeating: source[j] - mu[j])
                                            * p.loadUnaligned(as: SIMD8<Float>.self)
                                        p += rowStride
                                    }
                                    for lane in 0..<min(8, k - group) { o[r * k + group + lane] = acc[lane] }
                                    group += 8
                                }
                            }
                        }
                    }
                }
            }
        }
        return FeatureMatrix(rows: n, columns: k, values: output)
    }

    /// One row in component coordinates (for users new since training): `componentCount` values, the
    /// same bits as the row's line of ``project(_:)``.
    public func project(row: [Float]) -> [Float] {
        precondition(row.count == inputColumns, "the row has \(row.count) values, the model \(inputColumns) columns")
        return project(FeatureMatrix(rows: 1, columns: inputColumns, values: row), threads: 1).values
    }
}

/// A buffer handed to the workers of a ``ParallelChunks`` run.
///
/// `@unchecked Sendable`: every worker reads the input buffers and writes only the rows or the partial
/// slot of the chunk it took, so no element has two writers, and the caller reads the outputs only after
/// `run` returns.
struct UnsafeSendable<Buffer>: @unchecked Sendable {
    let buffer: Buffer
    init(_ buffer: Buffer) { self.buffer = buffer }
}
