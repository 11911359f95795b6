import AampeLearning
import Foundation
import Testing

@Suite("robust scaling of the landscape's features")
struct RobustScalerTests {
    func close(_ x: Float, _ y: Float, _ tolerance: Float = 1e-5) -> Bool { abs(x - y) <= tolerance }

    // Five users, four features, no log:
    //   a: 1 2 3 4 100   sorted the same; median x[2] = 3, q25 x[1] = 2, q75 x[3] = 4, IQR 2
    //   b: 7 7 7 7 7     constant: IQR 0, deviation 0, so scale 1 and all zeros
    //   c: 0 0 0 0 10    IQR 0 (more than half are 0); mean 2, deviation √((4·4 + 64) / 5) = 4, scale 1.349 · 4
    //   d: 5 1 4 2 3     median 3, q25 2, q75 4 (order does not matter)
    static let matrix = FeatureMatrix(
        rows: 5,
        columns: 4,
        values: [
            1, 7, 0, 5,
            2, 7, 0, 1,
            3, 7, 0, 4,
            4, 7, 0, 2,
            100, 7, 10, 3,
        ]
    )

    @Test("medians and scales by hand: the IQR, the deviation fallback, 1 for a constant column")
    func fitByHand() {
        let scaler = RobustScaler.fit(Self.matrix, appliesLog1p: false)
        #expect(scaler.medians == [3, 7, 0, 3])
        #expect(close(scaler.scales[0], 2) && scaler.scales[1] == 1 && close(scaler.scales[2], 1.349 * 4))
        #expect(close(scaler.scales[3], 2))
        #expect(scaler.clip == 5 && !scaler.appliesLog1p)
    }

    @Test("transform standardizes and clips to ±clip; a constant column becomes zeros")
    func transformByHand() {
        let scaler = RobustScaler.fit(Self.matrix, appliesLog1p: false)
        var matrix = Self.matrix
        scaler.transform(&matrix)
        let a = (0..<5).map { matrix[$0, 0] }
        #expect(a == [-1, -0.5, 0, 0.5, 5])  // (100 − 3) / 2 = 48.5, clipped to 5
        #expect((0..<5).allSatisfy { matrix[$0, 1] == 0 })
        #expect(close(matrix[4, 2], 10 / (1.349 * 4)))
        let tight = RobustScaler.fit(Self.matrix, clip: 0.75, appliesLog1p: false)
        var clipped = Self.matrix
        tight.transform(&clipped)
        #expect((0..<5).map { clipped[$0, 0] } == [-0.75, -0.5, 0, 0.5, 0.75])
    }

    @Test("log1p before the statistics, and sign(x)·log1p(|x|) for a negative input")
    func logFirst() {
        // log1p(eⁱ − 1) = i: the logged column is 0 1 2 3 4, median 2, IQR 3 − 1 = 2.
        let column = (0..<5).map { Float(expm1(Double($0))) }
        let scaler = RobustScaler.fit(FeatureMatrix(rows: 5, columns: 1, values: column))
        #expect(close(scaler.medians[0], 2) && close(scaler.scales[0], 2))
        var row: [Float] = [Float(expm1(4.0))]
        scaler.transform(row: &row)
        #expect(close(row[0], 1))
        var negative: [Float] = [-Float(expm1(1.0))]  // −log1p(e − 1) = −1, so (−1 − 2) / 2
        scaler.transform(row: &negative)
        #expect(close(negative[0], -1.5))
    }

    @Test("a row transformed alone matches its line of the matrix transform")
    func rowMatchesMatrix() {
        let scaler = RobustScaler.fit(Self.matrix)
        var matrix = Self.matrix
        scaler.transform(&matrix)
        for row in 0..<5 {
            var alone = Self.matrix.row(row)
            scaler.transform(row: &alone)
            #expect(alone == matrix.row(row))
        }
    }

    @Test("quartiles interpolate between ranks as numpy's percentile does")
    func interpolation() {
        // 0 1 2 … 9: q25 at rank 2.25, q75 at 6.75, median at 4.5.
        let values: [Float] = [9, 3, 0, 7, 1, 8, 2, 6, 4, 5]
        let scaler = RobustScaler.fit(FeatureMatrix(rows: 10, columns: 1, values: values), appliesLog1p: false)
        #expect(close(scaler.medians[0], 4.5) && close(scaler.scales[0], 4.5))
    }

    @Test("a fitted scaler survives a JSON round trip")
    func codable() throws {
        let scaler = RobustScaler.fit(Self.matrix)
        let decoded = try JSONDecoder().decode(RobustScaler.self, from: try JSONEncoder().encode(scaler))
        #expect(decoded == scaler)
    }
}
