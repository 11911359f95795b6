import Foundation

/// The BG/NBD model of repeat activity (Fader, Hardie and Lee, "'Counting your customers' the easy way: an
/// alternative to the Pareto/NBD model", Marketing Science 24(2), 2005).
///
/// > (i) While active, the number of transactions made by a customer follows a Poisson process with
/// > transaction rate λ. (ii) Heterogeneity in λ follows a gamma distribution with shape r and scale α.
/// > (iii) After any transaction, a customer becomes inactive with probability p. (iv) Heterogeneity in p
/// > follows a beta distribution with parameters a and b. (v) λ and p vary independently across customers.
///
/// A user's history is summarised as `x`, the number of repeat transactions (after the first), `tx`, the
/// time of the last one, and `T`, the user's age, both measured from the first transaction, in days. aamped
/// passes active days as transactions, so `x` is the number of active days after the first.
public struct BGNBDModel: Codable, Sendable, Hashable {
    /// Shape of the gamma distribution of transaction rates λ.
    public var r: Double
    /// Rate ("scale" in the paper, whose density is αʳ λʳ⁻¹ e^(−αλ) / Γ(r)) of that gamma, in days: the
    /// population's mean rate is r / α transactions a day.
    public var alpha: Double
    /// First shape of the beta distribution of drop-out probabilities p.
    public var a: Double
    /// Second shape of that beta: the mean drop-out probability after a transaction is a / (a + b).
    public var b: Double

    /// A model from its four parameters, each positive and finite.
    public init(r: Double, alpha: Double, a: Double, b: Double) {
        precondition(
            [r, alpha, a, b].allSatisfy { $0 > 0 && $0.isFinite },
            "BG/NBD parameters must be positive and finite"
        )
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
    }

    /// The log-likelihood of one user's `(x, tx, T)`, the paper's equation 6:
    ///
    /// > L(r, α, a, b | X = x, tₓ, T) = B(a, b + x) / B(a, b) · Γ(r + x) αʳ / (Γ(r) (α + T)^(r+x))
    /// >     + δ(x>0) B(a + 1, b + x − 1) / B(a, b) · Γ(r + x) αʳ / (Γ(r) (α + tₓ)^(r+x))
    ///
    /// computed as a sum of logarithms, with the two terms added by log-sum-exp. A user with `T` = 0 and
    /// `x` = 0 has likelihood 1.
    public static func logLikelihood(
        r: Double,
        alpha: Double,
        a: Double,
        b: Double,
        x: Double,
        tx: Double,
        T: Double
    )
        -> Double
    {
        let lg = SpecialFunctions.logGamma
        let common =
            lg(r + x) - lg(r) + r * log(alpha)
            + lg(a + b) + lg(b + x) - lg(b) - lg(a + b + x)
        let alive = -(r + x) * log(alpha + T)
        guard x > 0 else { return common + alive }
        // B(a + 1, b + x − 1) / B(a, b + x) = a / (b + x − 1).
        let dead = log(a) - log(b + x - 1) - (r + x) * log(alpha + tx)
        return common + SpecialFunctions.logAddExp(alive, dead)
    }

    /// The probability that the user is still active at `T`, the paper's equation 13:
    ///
    /// > P(τ > T | X = x, tₓ, T) = 1 / (1 + δ(x>0) a / (b + x − 1) · ((α + T) / (α + tₓ))^(r+x))
    ///
    /// It is 1 for a user with no repeat transaction (the model lets a user drop out only right after a
    /// repeat transaction) and, for a fixed `x` and `T`, grows with `tx`: recent activity means alive.
    public func probabilityAlive(x: Double, tx: Double, T: Double) -> Double {
        guard x > 0 else { return 1 }
        let logRatio = log(a) - log(b + x - 1) + (r + x) * (log(alpha + T) - log(alpha + tx))
        return 1 / (1 + exp(logRatio))
    }

    /// The probability of at least one transaction in `(T, T + horizon]`, `horizon` in days:
    ///
    ///     P(alive at T) · (1 − ((α + T) / (α + T + horizon))^(r + x))
    ///
    /// Derivation. A user drops out only right after a transaction, so a user alive at `T` stays alive at
    /// least until their next transaction, and by the Poisson process's lack of memory its wait from `T` is
    /// exponential with rate λ. Given the history and that the user is alive at `T`, the likelihood of λ is
    /// λˣ e^(−λT) (x events in [0, T]), so the gamma(r, α) prior gives the posterior gamma(r + x, α + T).
    /// Then P(no transaction in the horizon | alive) = E[e^(−λ·horizon)] = ((α + T)/(α + T + horizon))^(r+x),
    /// the gamma's Laplace transform, and a user who is not alive makes none.
    public func probabilityActive(within horizon: Double, x: Double, tx: Double, T: Double) -> Double {
        precondition(horizon >= 0, "the horizon must not be negative")
        let quiet = exp((r + x) * (log(alpha + T) - log(alpha + T + horizon)))
        return probabilityAlive(x: x, tx: tx, T: T) * (1 - quiet)
    }

    /// The expected number of transactions in `(T, T + horizon]`, the paper's equation 10:
    ///
    /// > E(Y(t) | X = x, tₓ, T) = (a + b + x − 1) / (a − 1)
    /// >     · [1 − ((α + T)/(α + T + t))^(r+x) ₂F₁(r + x, b + x; a + b + x − 1; t / (α + T + t))]
    /// >     / (1 + δ(x>0) a / (b + x − 1) · ((α + T)/(α + tₓ))^(r+x))
    ///
    /// The ₂F₁ is summed as its series (see `SpecialFunctions.hypergeometric2F1`), which converges slowly
    /// when `horizon` is much longer than `alpha + T`; for the week or month horizons of messaging it takes
    /// a few hundred terms. At `a` = 1 exactly the formula is 0/0; the limit is not implemented, so `a` is
    /// nudged by 1e-9 there.
    public func expectedTransactions(within horizon: Double, x: Double, tx: Double, T: Double) -> Double {
        precondition(horizon >= 0, "the horizon must not be negative")
        guard horizon > 0 else { return 0 }
        let a = self.a == 1 ? 1 + 1e-9 : self.a
        let z = horizon / (alpha + T + horizon)
        let hyper = SpecialFunctions.hypergeometric2F1(r + x, b + x, a + b + x - 1, z)
        let power = exp((r + x) * (log(alpha + T) - log(alpha + T + horizon)))
        let numerator = (a + b + x - 1) / (a - 1) * (1 - power * hyper)
        guard x > 0 else { return numerator }
        let odds = exp(log(a) - log(b + x - 1) + (r + x) * (log(alpha + T) - log(alpha + tx)))
        return numerator / (1 + odds)
    }
}
