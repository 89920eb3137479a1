#!/usr/bin/env Rscript
## Provenance script for tests/data/lmr/reference.json: an independent
## computation of the Vuong-Lo-Mendell-Rubin test on Mplus's example 7.9 data.
##
## Run from the repository root:
##     Rscript tests/data/lmr/make_reference.R
##
## Needs R with mclust, numDeriv and jsonlite. For 1, 2 and 3 classes of the
## EEI model (one diagonal covariance shared by the classes: Mplus's default
## latent profile model, as in lmr2.inp / lmr3.inp) it
##   1. fits mclust's EM from its hierarchical start and from 30 random
##      partitions (set.seed), keeping the best (tolerance 1e-12);
##   2. writes each row's log-likelihood as a function of an unconstrained
##      vector (log-ratios of the weights against class 1, the means, the log
##      variances: not skmix's parametrisation) and takes the per-row scores
##      with numDeriv::jacobian and the Hessian of the total with
##      numDeriv::hessian (Richardson extrapolation);
##   3. forms Vuong's (1989) W literally, as the non-symmetric block matrix
##      [[-B_f A_f^-1, -B_fg A_g^-1], [B_gf A_f^-1, B_g A_g^-1]], and its
##      variant with the robust covariance A^-1 B A^-1 in place of -A^-1
##      (what Mplus TECH11 computes), and takes their eigenvalues;
##   4. estimates each tail probability by Monte Carlo (2e6 draws of the
##      weighted chi-square sum, set.seed).
## The Python tests never run R; they read reference.json.

suppressPackageStartupMessages({
  library(mclust)
  library(numDeriv)
  library(jsonlite)
})

outdir <- file.path("tests", "data", "lmr")
if (!dir.exists(outdir)) stop("run from the repository root (", outdir, " not found)")
data <- as.matrix(read.table(file.path(outdir, "ex7.9.dat")))[, 1:4]
n <- nrow(data)
d <- ncol(data)
N_RANDOM <- 30L
N_DRAWS <- 2000000L
CONTROL <- emControl(tol = c(1e-12, 1e-12), itmax = c(.Machine$integer.max, 10000))

fit_eei <- function(G) {
  if (G == 1) {
    mu <- colMeans(data)
    return(list(pro = 1, mean = matrix(mu, d, 1),
                var = colMeans(sweep(data, 2, mu)^2)))
  }
  best <- Mclust(data, G = G, modelNames = "EEI", control = CONTROL, verbose = FALSE)
  best <- list(loglik = best$loglik, parameters = best$parameters)
  set.seed(20260917 + G)
  for (s in seq_len(N_RANDOM)) {
    z <- unmap(sample(seq_len(G), n, replace = TRUE))
    fit <- me(data, modelName = "EEI", z = z, control = CONTROL)
    if (is.finite(fit$loglik) && fit$loglik > best$loglik + 1e-9) {
      best <- list(loglik = fit$loglik, parameters = fit$parameters)
    }
  }
  p <- best$parameters
  list(pro = p$pro, mean = p$mean, var = diag(p$variance$Sigma))
}

pack <- function(fit) {
  G <- length(fit$pro)
  c(if (G > 1) log(fit$pro[-1] / fit$pro[1]), as.vector(fit$mean), log(fit$var))
}

row_loglik <- function(v, G) {
  alpha <- c(0, if (G > 1) v[seq_len(G - 1)])
  pro <- exp(alpha - max(alpha))
  pro <- pro / sum(pro)
  mean <- matrix(v[(G - 1) + seq_len(G * d)], d, G)
  var <- exp(v[(G - 1) + G * d + seq_len(d)])
  logs <- sapply(seq_len(G), function(k) {
    log(pro[k]) + rowSums(dnorm(data, rep(mean[, k], each = n),
                                rep(sqrt(var), each = n), log = TRUE))
  })
  logs <- matrix(logs, n, G)
  top <- apply(logs, 1, max)
  top + log(rowSums(exp(logs - top)))
}

terms <- function(G) {
  fit <- fit_eei(G)
  v <- pack(fit)
  list(G = G, loglik = sum(row_loglik(v, G)),
       scores = jacobian(function(u) row_loglik(u, G), v),
       hessian = hessian(function(u) sum(row_loglik(u, G)), v),
       n_parameters = length(v))
}

vuong <- function(null, alt, robust) {
  Sf <- alt$scores
  Sg <- null$scores
  Af <- alt$hessian / n
  Ag <- null$hessian / n
  Bf <- crossprod(Sf) / n
  Bg <- crossprod(Sg) / n
  Bfg <- crossprod(Sf, Sg) / n
  # -A^-1 (the inverse information), or the robust A^-1 B A^-1.
  Vf <- if (robust) solve(Af) %*% Bf %*% solve(Af) else -solve(Af)
  Vg <- if (robust) solve(Ag) %*% Bg %*% solve(Ag) else -solve(Ag)
  W <- rbind(cbind(Bf %*% Vf, Bfg %*% Vg), cbind(-t(Bfg) %*% Vf, -Bg %*% Vg))
  sort(Re(eigen(W, only.values = TRUE)$values), decreasing = TRUE)
}

tail_mc <- function(weights, x, seed) {
  set.seed(seed)
  total <- numeric(N_DRAWS)
  for (w in weights) total <- total + w * rchisq(N_DRAWS, 1)
  sapply(x, function(q) mean(total > q))
}

fits <- lapply(1:3, terms)
tests <- list()
for (G in 2:3) {
  null <- fits[[G - 1]]
  alt <- fits[[G]]
  lr <- 2 * (alt$loglik - null$loglik)
  df <- alt$n_parameters - null$n_parameters
  adjusted <- lr / (1 + 1 / (df * log(n)))
  for (robust in c(FALSE, TRUE)) {
    w <- vuong(null, alt, robust)
    name <- sprintf("%d_vs_%d_%s", G - 1, G, if (robust) "robust" else "model")
    tests[[name]] <- list(
      n_components_null = G - 1, n_components_alternative = G,
      covariance = if (robust) "robust" else "model",
      statistic = lr, df = df, adjusted_statistic = adjusted,
      weights = w, mean = sum(w), std = sqrt(2 * sum(w^2)),
      p_value_mc = tail_mc(w, c(lr, adjusted), 1000 * G + robust),
      n_draws = N_DRAWS
    )
  }
}

out <- list(
  description = paste(
    "Vuong-Lo-Mendell-Rubin weights and Monte Carlo tail probabilities on",
    "Mplus example 7.9 (EEI, 1 vs 2 and 2 vs 3 classes), computed in R with",
    "mclust fits and numDeriv derivatives; p_value_mc is [VLMR, adjusted LMR]."
  ),
  provenance = list(
    script = "tests/data/lmr/make_reference.R",
    R = R.version.string, mclust = as.character(packageVersion("mclust")),
    numDeriv = as.character(packageVersion("numDeriv")),
    date = format(Sys.Date())
  ),
  n_samples = n,
  log_likelihood = sapply(fits, function(f) f$loglik),
  n_parameters = sapply(fits, function(f) f$n_parameters),
  tests = tests
)
write_json(out, file.path(outdir, "reference.json"), auto_unbox = TRUE,
           digits = NA, pretty = TRUE)
cat("wrote", file.path(outdir, "reference.json"), "\n")
