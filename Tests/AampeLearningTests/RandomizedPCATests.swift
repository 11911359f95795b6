import AampeLearning
import Foundation
import Testing

@Suite("randomized PCA against a known decomposition")
struct RandomizedPCATests {
    // M = U · diag(s) · Vᵀ + mean over n = 240 rows and 6 columns, with known orthonormal U and V:
    //   U's columns are cos and sin of one and two full turns over the rows, divided by √(n/2): zero mean,
    //   unit length, mutually orthogonal;
    //   V's rows are three Hadamard rows (±1 on the first four columns) over 2, and s = 12, 6, 3.
    // So the explained variances are s² / (n − 1) and their ratios s² / Σs² = 144, 36, 9 over 189.
    static let n = 240
    static let s: [Double] = [12, 6, 3]
    static let v: [[Double]] = [[1, 1, 1, 1, 0, 0], [1, -1, 1, -1, 0, 0], [1, 1, -1, -1, 0, 0]].map {
        $0.map { $0 / 2 }
    }
    static let mean: [Double] = [3, -1, 0.5, 2, 10, 0]

    static func u(_ row: Int, _ component: Int) -> Double {
        let angle = 2 * Double.pi * Double(row) / Double(n)
        let value = [cos(angle), sin(angle), cos(2 * angle)][component]
        return value / (Double(n) / 2).squareRoot()
    }

    static let matrix: FeatureMatrix = {
        var m = FeatureMatrix(rows: n, columns: 6)
        for row in 0..<n {
            for column in 0..<6 {
                var value = mean[column]
                for c in 0..<3 { value += u(row, c) * s[c] * v[c][column] }
                m[row, column] = Float(value)
            }
        }
        return m
    }()

    func component(_ model: PCAModel, _ c: Int) -> [Double] {
        (0..<model.inputColumns).map { Double(model.components[c * model.inputColumns + $0]) }
    }

    func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    @Test("components match V up to sign; variances are s² / (n − 1) and ratios s² / Σs²")
    func knownDecomposition() {
        let model = PCAModel.fit(Self.matrix, components: 3, seed: 1)
        #expect(model.componentCount == 3 && model.components.count == 18)
        for c in 0..<3 {
            #expect(abs(abs(dot(component(model, c), Self.v[c])) - 1) < 1e-5)
            #expect(abs(model.explainedVariance[c] - Self.s[c] * Self.s[c] / Double(Self.n - 1)) < 1e-3)
            #expect(abs(model.explainedVarianceRatio[c] - Self.s[c] * Self.s[c] / 189) < 1e-5)
        }
        for (fitted, expected) in zip(model.mean, Self.mean) { #expect(abs(Double(fitted) - expected) < 1e-5) }
    }

    @Test("components are unit length and orthogonal, with the largest entry of each positive")
    func orthonormalAndSigned() {
        let model = PCAModel.fit(Self.matrix, components: 5, seed: 2)
        for a in 0..<5 {
            for b in 0..<5 {
                #expect(abs(dot(component(model, a), component(model, b)) - (a == b ? 1 : 0)) < 1e-5)
            }
            let entries = component(model, a)
            let largest = entries.indices.max { abs(entries[$0]) < abs(entries[$1]) }!
            #expect(entries[largest] > 0)
        }
        // Rank 3: the last two components explain nothing.
        #expect(model.explainedVarianceRatio[3] < 1e-6 && model.explainedVarianceRatio[4] < 1e-6)
    }

    @Test("projecting and mapping back reconstructs the matrix; a row projects as its line of the matrix")
    func reconstruction() {
        let model = PCAModel.fit(Self.matrix, components: 3, seed: 3)
        let projected = model.project(Self.matrix)
        #expect(projected.rows == Self.n && projected.columns == 3)
        var worst: Float = 0
        for row in 0..<Self.n {
            for column in 0..<6 {
                var value = model.mean[column]
                for c in 0..<3 { value += projected[row, c] * model.components[c * 6 + column] }
                worst = max(worst, abs(value - Self.matrix[row, column]))
            }
            if row % 37 == 0 { #expect(model.project(row: Self.matrix.row(row)) == projected.row(row)) }
        }
        #expect(worst < 1e-4)
    }

    @Test("the same seed gives the same model on one thread or several; every column kept is the exact PCA")
    func deterministic() {
        let a = PCAModel.fit(Self.matrix, components: 3, seed: 9)
        #expect(a == PCAModel.fit(Self.matrix, components: 3, seed: 9, threads: 1))
        #expect(a == PCAModel.fit(Self.matrix, components: 3, seed: 9, threads: 3))
        let all = PCAModel.fit(Self.matrix, components: 6, oversampling: 0, powerIterations: 0, seed: 4)
        #expect(abs(all.explainedVarianceRatio.reduce(0, +) - 1) < 1e-6)
    }

    @Test("one row: zero variance, still an orthonormal basis")
    func singleRow() {
        let model = PCAModel.fit(FeatureMatrix(rows: 1, columns: 3, values: [1, 2, 3]), components: 2, seed: 5)
        #expect(model.explainedVariance == [0, 0] && model.explainedVarianceRatio == [0, 0])
        #expect(model.project(row: [1, 2, 3]) == [0, 0])
        #expect(abs(dot(component(model, 0), component(model, 0)) - 1) < 1e-6)
    }

    @Test("the component count from outside is checked at its limit and one past")
    func componentLimit() throws {
        let limit = 64  // Limits.maximumLandscapeComponents (this target does not import AampeCore)
        try PCAModel.checkComponents(limit, columns: limit)
        #expect(throws: LearningError.self) { try PCAModel.checkComponents(limit + 1, columns: limit + 1) }
        #expect(throws: LearningError.self) { try PCAModel.checkComponents(4, columns: 3) }
        #expect(throws: LearningError.self) { try PCAModel.checkComponents(0, columns: 3) }
    }

    @Test("a fitted model survives a JSON round trip")
    func codable() throws {
        let model = PCAModel.fit(Self.matrix, components: 2, seed: 6)
        #expect(try JSONDecoder().decode(PCAModel.self, from: try JSONEncoder().encode(model)) == model)
    }
}
