#!/usr/bin/env Rscript
## Provenance script for the flexmix reference values in tests/data/flexmix/.
##
## Run from the repository root:
##     Rscript tests/data/flexmix/make_reference.R
##
## Needs R with the packages flexmix and jsonlite (Debian: r-cran-flexmix,
## r-cran-jsonlite) and MASS (a recommended package shipped with R).  It writes
##     tests/data/flexmix/npreg.csv
##     tests/data/flexmix/seizure.csv
##     tests/data/flexmix/biochemists.csv
##     tests/data/flexmix/reference.json
## Every fit is seeded (set.seed before each stepFlexmix call), so reruns give the
## same numbers for a given R / flexmix / BLAS combination (timings aside).
## The Python tests never run R; they only read these files.  See README.md for
## the conventions (class order, matrix layout, which sigma is ML, ...).

suppressPackageStartupMessages({
  library(flexmix)
  library(jsonlite)
  library(MASS)
})

outdir <- file.path("tests", "data", "flexmix")
if (!dir.exists(outdir)) stop("run from the repository root (", outdir, " not found)")

NREP <- 10L
NREP_CHECK <- 60L  # extra multistart check when < 5 of the NREP starts reach the best
CONTROL <- list(iter.max = 1000, tol = 1e-10, minprior = 0)
BEST_TOL <- 1e-5   # a start "reaches the best optimum" if |logLik - best| < BEST_TOL
POST_DIGITS <- 12  # posterior matrices are rounded to this many significant digits

## ------------------------------------------------------------------ helpers
## Shortest of %.15g/%.16g/%.17g that reads back to the same double (CSV only;
## jsonlite writes at most 15 significant digits, see README).
fmtnum <- function(x) {
  out <- character(length(x))
  fin <- is.finite(x)
  out[!fin] <- "NA"
  if (any(fin)) {
    v <- x[fin]
    s <- sprintf("%.15g", v)
    bad <- as.numeric(s) != v
    s[bad] <- sprintf("%.16g", v[bad])
    bad <- as.numeric(s) != v
    s[bad] <- sprintf("%.17g", v[bad])
    out[fin] <- s
  }
  out
}
write_csv_exact <- function(df, file) {
  stopifnot(all(vapply(df, is.numeric, TRUE)))
  cols <- lapply(df, function(v) if (is.integer(v)) as.character(v) else fmtnum(v))
  lines <- c(paste(names(df), collapse = ","), do.call(paste, c(cols, sep = ",")))
  writeLines(lines, file)
  back <- read.csv(file)
  stopifnot(identical(names(back), names(df)))
  for (nm in names(df)) stopifnot(all(as.double(back[[nm]]) == as.double(df[[nm]])))
  invisible(file)
}

strip_coef <- function(x) sub("^coef\\.", "", x)

## Coefficient table -> list(terms, estimate k x p, se, z, p)
coefmat_list <- function(tabs) {
  terms <- rownames(tabs[[1]])
  get <- function(col) do.call(rbind, lapply(tabs, function(tb) unname(tb[terms, col])))
  list(terms = I(terms),
       estimate = get("Estimate"), se = get("Std. Error"),
       z = get("z value"), p = get("Pr(>|z|)"))
}

as_tab <- function(x) { tb <- x@.Data; if (is.null(dimnames(tb))) dimnames(tb) <- dimnames(x); tb }

## Extract everything from a fitted (already relabelled) flexmix object.
extract_flexmix <- function(m) {
  k <- m@k
  par <- parameters(m)                      # rows: coef.<term> [, sigma], cols: Comp.j
  rn <- rownames(par)
  coef_rows <- grep("^coef\\.", rn)
  out <- list(
    k = k,
    logLik = as.numeric(logLik(m)),
    df = attr(logLik(m), "df"),
    nobs = attr(logLik(m), "nobs"),
    BIC = BIC(m), AIC = AIC(m), ICL = ICL(m),
    iter = m@iter, converged = m@converged,
    prior = I(unname(prior(m))),
    size = I(unname(as.integer(m@size))),
    terms = I(strip_coef(rn[coef_rows])),
    coef = t(unname(par[coef_rows, , drop = FALSE]))   # k x p
  )
  other <- setdiff(seq_along(rn), coef_rows)
  for (i in other) out[[rn[i]]] <- I(unname(par[i, ]))  # e.g. sigma (gaussian), theta
  ## standard errors from refit (optim on the observed-data log-likelihood)
  rf <- tryCatch(refit(m), error = function(e) e)
  if (inherits(rf, "error")) {
    out$refit <- list(error = conditionMessage(rf))
  } else {
    comps <- rf@components[[1]]
    out$refit <- coefmat_list(lapply(comps, as_tab))
    out$refit$vcov <- unname(rf@vcov)
    out$refit$vcov_names <- I(names(rf@coef))
    if (!is.null(rf@concomitant) && length(rf@concomitant)) {
      ctabs <- lapply(rf@concomitant, as_tab)
      out$refit$concomitant <- coefmat_list(ctabs)
      out$refit$concomitant$classes <- I(as.integer(sub("Comp\\.", "", names(rf@concomitant))))
    }
  }
  ## log(sigma) of Gaussian components is optimised by refit but left out of its tables
  if (!inherits(rf, "error")) {
    ls_idx <- grep("_log\\(sigma\\)$", names(rf@coef))
    if (length(ls_idx)) {
      out$refit$log_sigma <- I(unname(rf@coef[ls_idx]))
      out$refit$log_sigma_se <- I(unname(sqrt(diag(rf@vcov)[ls_idx])))
    }
  }
  has_gate <- k > 1 && !identical(deparse(m@concomitant@formula), "~1")
  if (has_gate) {
    cp <- parameters(m, which = "concomitant")   # q x k, column 1 = 0 (baseline class 1)
    out$concomitant <- list(terms = I(rownames(cp)), coef = t(unname(cp)))  # k x q
  }
  out$clusters <- I(as.integer(clusters(m)))
  out$posterior <- signif(unname(posterior(m)), POST_DIGITS)
  out
}

## Run one stepFlexmix call (given as text, so the exact call is recorded).
run_step <- function(call_text, seed) {
  set.seed(seed)
  tm <- round(system.time(s <- eval(parse(text = call_text)))[["elapsed"]], 3)
  stopifnot(length(s@models) == 1)
  m0 <- s@models[[1]]
  lls <- as.numeric(s@logLiks[1, ])
  best <- max(lls, na.rm = TRUE)
  stopifnot(abs(best - as.numeric(logLik(m0))) < 1e-12)
  perm <- order(prior(m0), decreasing = TRUE)
  m <- relabel(m0, by = "prior", decreasing = TRUE)
  stopifnot(all(diff(prior(m)) <= 0))
  list(m = m, perm = perm, seconds = tm, logLiks = lls,
       n_best = sum(abs(lls - best) < BEST_TOL, na.rm = TRUE))
}

fits <- list()
timing <- list()
add_fit <- function(name, description, call_text, seed, family, data_file, columns, extra = list()) {
  cat(sprintf("%-34s ", name)); flush.console()
  r <- run_step(call_text, seed)
  e <- extract_flexmix(r$m)
  res <- c(list(name = name, description = description, r_call = call_text,
                seed = seed, family = family, data_file = data_file),
           columns, e,
           list(stepflexmix = list(nrep = NREP, control = CONTROL,
                                   logLiks_all_starts = I(r$logLiks),
                                   best_tol = BEST_TOL,
                                   n_starts_reaching_best = r$n_best,
                                   original_to_canonical = I(order(r$perm)),
                                   stepflexmix_nrep10_seconds = r$seconds)),
           extra)
  if (r$n_best < 5) {
    ## few starts reached the best optimum: rerun with more starts (other seed) to
    ## check that no better optimum exists; the recorded fit is still the nrep = 10 one
    big <- sub(sprintf("nrep = %d", NREP), sprintf("nrep = %d", NREP_CHECK), call_text, fixed = TRUE)
    rc <- run_step(big, seed + 500L)
    tab <- table(round(rc$logLiks, 4))
    res$stepflexmix$multistart_check <- list(
      r_call = big, seed = seed + 500L,
      best_logLik = max(rc$logLiks, na.rm = TRUE),
      n_starts_reaching_best = rc$n_best,
      distinct_logLiks_rounded4 = I(as.numeric(names(tab))),
      counts = I(as.integer(tab)),
      seconds = rc$seconds,
      same_optimum_as_nrep10 = abs(max(rc$logLiks, na.rm = TRUE) - e$logLik) < BEST_TOL)
    cat(sprintf("\n   check nrep=%d: best %.6f reached by %d/%d (%.1fs)\n%34s ", NREP_CHECK,
                max(rc$logLiks, na.rm = TRUE), rc$n_best, NREP_CHECK, rc$seconds, ""))
  }
  fits[[name]] <<- res
  timing[[name]] <<- r$seconds
  cat(sprintf("logLik %.6f df %d prior %s  %d/%d starts at best  %.2fs\n",
              e$logLik, as.integer(e$df), paste(sprintf("%.4f", e$prior), collapse = "/"),
              r$n_best, NREP, r$seconds))
  invisible(r$m)
}

## --------------------------------------------------------------------- data
data("NPreg", package = "flexmix")
data("seizure", package = "flexmix")
data("bioChemists", package = "flexmix")

npreg_csv <- data.frame(x = NPreg$x, yn = NPreg$yn, yp = NPreg$yp, yb = NPreg$yb,
                        class = as.integer(NPreg$class),
                        id1 = as.integer(as.character(NPreg$id1)),
                        id2 = as.integer(as.character(NPreg$id2)))
write_csv_exact(npreg_csv, file.path(outdir, "npreg.csv"))

stopifnot(identical(levels(seizure$Treatment), c("No", "Yes")))
seizure_csv <- data.frame(Seizures = as.integer(seizure$Seizures),
                          TreatmentYes = as.integer(seizure$Treatment == "Yes"),
                          Day = seizure$Day, Hours = as.integer(seizure$Hours),
                          log_day_27 = log(seizure$Day / 27),
                          log_hours = log(seizure$Hours))
seizure_csv$TreatmentYes_x_log_day_27 <- seizure_csv$TreatmentYes * seizure_csv$log_day_27
mm <- model.matrix(Seizures ~ Treatment * log(Day/27), data = seizure)
stopifnot(identical(colnames(mm), c("(Intercept)", "TreatmentYes", "log(Day/27)", "TreatmentYes:log(Day/27)")),
          all(mm[, 2] == seizure_csv$TreatmentYes), all(mm[, 3] == seizure_csv$log_day_27),
          all(mm[, 4] == seizure_csv$TreatmentYes_x_log_day_27))
write_csv_exact(seizure_csv, file.path(outdir, "seizure.csv"))

stopifnot(identical(levels(bioChemists$fem), c("Men", "Women")),
          identical(levels(bioChemists$mar), c("Single", "Married")))
bio_csv <- data.frame(art = as.integer(bioChemists$art),
                      femWomen = as.integer(bioChemists$fem == "Women"),
                      marMarried = as.integer(bioChemists$mar == "Married"),
                      kid5 = as.integer(bioChemists$kid5), phd = bioChemists$phd,
                      ment = as.integer(bioChemists$ment))
mm <- model.matrix(art ~ ., data = bioChemists)
stopifnot(identical(colnames(mm), c("(Intercept)", "femWomen", "marMarried", "kid5", "phd", "ment")))
for (j in 2:6) stopifnot(all(mm[, j] == bio_csv[[colnames(mm)[j]]]))
write_csv_exact(bio_csv, file.path(outdir, "biochemists.csv"))

## ---------------------------------------------------------------------- fits
ctl <- "control = list(iter.max = 1000, tol = 1e-10, minprior = 0), drop = FALSE, verbose = FALSE"
step_call <- function(body) sprintf("stepFlexmix(%s, k = 2, nrep = %d, %s)", body, NREP, ctl)

add_fit("a_poisson_npreg",
        "2-class Poisson GLM mixture, yp ~ x, NPreg",
        step_call('yp ~ x, data = NPreg, model = FLXMRglm(family = "poisson")'),
        seed = 1001, family = "poisson", data_file = "npreg.csv",
        list(y_column = "yp", X_columns = I(list(NULL, "x")), offset_column = NULL,
             group_column = NULL))

add_fit("b_binomial_grouped_npreg",
        "2-class binomial (Bernoulli) GLM mixture, cbind(yb, 1 - yb) ~ x | id2: all rows with the same id2 share one latent class",
        step_call('cbind(yb, 1 - yb) ~ x | id2, data = NPreg, model = FLXMRglm(family = "binomial")'),
        seed = 1002, family = "binomial", data_file = "npreg.csv",
        list(y_column = "yb", trials = 1L, X_columns = I(list(NULL, "x")), offset_column = NULL,
             group_column = "id2", n_groups = nlevels(NPreg$id2)))

add_fit("c_poisson_offset_seizure",
        "2-class Poisson GLM mixture with offset log(Hours), Seizures ~ Treatment * log(Day/27), seizure",
        step_call('Seizures ~ Treatment * log(Day/27), data = seizure, model = FLXMRglm(family = "poisson", offset = log(seizure$Hours))'),
        seed = 1003, family = "poisson", data_file = "seizure.csv",
        list(y_column = "Seizures",
             X_columns = I(list(NULL, "TreatmentYes", "log_day_27", "TreatmentYes_x_log_day_27")),
             offset_column = "log_hours", group_column = NULL))

add_fit("d_poisson_biochemists",
        "2-class Poisson GLM mixture, art ~ fem + mar + kid5 + phd + ment, bioChemists",
        step_call('art ~ ., data = bioChemists, model = FLXMRglm(family = "poisson")'),
        seed = 1004, family = "poisson", data_file = "biochemists.csv",
        list(y_column = "art", X_columns = I(list(NULL, "femWomen", "marMarried", "kid5", "phd", "ment")),
             offset_column = NULL, group_column = NULL))

add_fit("e_poisson_gate_yn_npreg",
        "2-class Poisson mixture of experts, yp ~ x, multinomial-logit gate on yn (FLXPmultinom(~ yn)), NPreg",
        step_call('yp ~ x, data = NPreg, model = FLXMRglm(family = "poisson"), concomitant = FLXPmultinom(~ yn)'),
        seed = 1005, family = "poisson", data_file = "npreg.csv",
        list(y_column = "yp", X_columns = I(list(NULL, "x")), offset_column = NULL,
             group_column = NULL, concomitant_columns = I(list(NULL, "yn"))))

add_fit("e2_poisson_gate_x_npreg",
        "2-class Poisson mixture of experts, yp ~ x, multinomial-logit gate on x (FLXPmultinom(~ x)), NPreg",
        step_call('yp ~ x, data = NPreg, model = FLXMRglm(family = "poisson"), concomitant = FLXPmultinom(~ x)'),
        seed = 1006, family = "poisson", data_file = "npreg.csv",
        list(y_column = "yp", X_columns = I(list(NULL, "x")), offset_column = NULL,
             group_column = NULL, concomitant_columns = I(list(NULL, "x"))))

skipped <- list()
if (exists("FLXMRnegbin")) {
  add_fit("f_negbin_biochemists",
          "2-class negative-binomial GLM mixture, art ~ ., bioChemists",
          step_call('art ~ ., data = bioChemists, model = FLXMRnegbin()'),
          seed = 1007, family = "negbin", data_file = "biochemists.csv",
          list(y_column = "art", X_columns = I(list(NULL, "femWomen", "marMarried", "kid5", "phd", "ment")),
               offset_column = NULL, group_column = NULL))
} else {
  skipped[[length(skipped) + 1]] <- list(
    name = "f_negbin_biochemists",
    reason = sprintf("flexmix %s has no FLXMRnegbin (it appeared in a later flexmix release); see glm_one_class$h3_negbin_glmnb_biochemists for a one-class MASS::glm.nb reference",
                     as.character(packageVersion("flexmix"))))
}

## g: Gaussian.  flexmix's M-step sigma is NOT the ML estimate:
##   sigma_j^2 = sum(w_j r^2) / mean(w_j) / (n - rank) = WRSS_j / sum(w_j) * n / (n - rank)
## with n = all observations.  We also compute the ML quantities ourselves.
mg <- add_fit("g_gaussian_npreg",
              "2-class Gaussian regression mixture, yn ~ x + I(x^2), NPreg (flexmix sigma is not ML; see ml_at_flexmix_posterior / ml_em_converged)",
              step_call('yn ~ x + I(x^2), data = NPreg, model = FLXMRglm()'),
              seed = 1008, family = "gaussian", data_file = "npreg.csv",
              list(y_column = "yn", X_columns = I(list(NULL, "x", "x^2")),
                   X_note = "I(x^2) is x**2 computed from column x",
                   offset_column = NULL, group_column = NULL))
local({
  X <- cbind(1, NPreg$x, NPreg$x^2); y <- NPreg$yn
  W0 <- posterior(mg)                         # full precision, canonical order
  mstep <- function(W) {
    K <- ncol(W)
    beta <- matrix(NA_real_, K, ncol(X)); s2 <- numeric(K)
    for (j in seq_len(K)) {
      f <- lm.wfit(X, y, W[, j])
      beta[j, ] <- f$coefficients
      s2[j] <- sum(W[, j] * (y - X %*% f$coefficients)^2) / sum(W[, j])
    }
    list(prior = colMeans(W), coef = beta, sigma = sqrt(s2))
  }
  logdens <- function(p) sapply(seq_along(p$prior), function(j)
    log(p$prior[j]) + dnorm(y, drop(X %*% p$coef[j, ]), p$sigma[j], log = TRUE))
  lse <- function(L) { mx <- apply(L, 1, max); mx + log(rowSums(exp(L - mx))) }
  ## flexmix's own sigma formula reproduced from its stored posterior (checks the note)
  n <- nrow(X); rk <- ncol(X)
  flx_sigma_formula <- sapply(1:2, function(j) {
    f <- lm.wfit(X, y, W0[, j]); sqrt(sum(W0[, j] * f$residuals^2) / sum(W0[, j]) * n / (n - rk))
  })
  p1 <- mstep(W0); L1 <- logdens(p1); ll1 <- sum(lse(L1))
  ## ML EM to convergence from flexmix's posterior
  p <- p1; ll <- ll1; it <- 0L
  repeat {
    it <- it + 1L
    L <- logdens(p); W <- exp(L - lse(L))
    p <- mstep(W); llnew <- sum(lse(logdens(p)))
    if (abs(llnew - ll) / (abs(llnew) + 0.1) < 1e-13 || it >= 100000L) { ll <- llnew; break }
    ll <- llnew
  }
  fits$g_gaussian_npreg$flexmix_sigma_note <<-
    "flexmix sigma_j^2 = WRSS_j / sum(w_j) * n / (n - rank), n = all 200 rows; logLik/BIC/AIC above use it (not ML)"
  fits$g_gaussian_npreg$flexmix_sigma_recomputed_from_posterior <<- I(flx_sigma_formula)
  fits$g_gaussian_npreg$ml_at_flexmix_posterior <<- list(
    description = "one ML M-step from flexmix's (unrounded) posterior: WLS per class with posterior weights, sigma_j^2 = WRSS_j / sum(w_j), prior_j = mean(w_j); logLik = observed-data mixture log-likelihood at these parameters",
    prior = I(p1$prior), coef = p1$coef, sigma = I(p1$sigma), logLik = ll1)
  fits$g_gaussian_npreg$ml_em_converged <<- list(
    description = "plain ML EM (same M-step) iterated from ml_at_flexmix_posterior until relative logLik change < 1e-13; the ML optimum in flexmix's basin",
    prior = I(p$prior), coef = p$coef, sigma = I(p$sigma), logLik = ll, iter = it,
    df = 2L * (ncol(X) + 1L) + 1L)
  cat(sprintf("   g: flexmix logLik %.6f | ML at flexmix posterior %.6f | ML EM converged %.6f (%d iter)\n",
              as.numeric(logLik(mg)), ll1, ll, it))
})

## h: one-class GLMs (cross-checks for statsmodels-style code)
glm_entry <- function(name, call_text, y_column, X_columns) {
  g <- eval(parse(text = call_text))
  sm <- summary(g)$coefficients
  list(name = name, r_call = call_text, family = family(g)$family,
       y_column = y_column, X_columns = I(X_columns),
       terms = I(rownames(sm)), coef = I(unname(sm[, 1])), se = I(unname(sm[, 2])),
       logLik = as.numeric(logLik(g)), df = attr(logLik(g), "df"),
       AIC = AIC(g), BIC = BIC(g), deviance = deviance(g), null_deviance = g$null.deviance,
       iter = g$iter)
}
glm1 <- list()
glm1$h1_poisson_npreg <- glm_entry("h1_poisson_npreg", "glm(yp ~ x, family = poisson, data = NPreg)",
                                   "yp", list(NULL, "x"))
glm1$h2_binomial_npreg <- glm_entry("h2_binomial_npreg", "glm(cbind(yb, 1 - yb) ~ x, family = binomial, data = NPreg)",
                                    "yb", list(NULL, "x"))
## extra (not flexmix): one-class negative binomial, since this flexmix has no FLXMRnegbin
local({
  call_text <- "MASS::glm.nb(art ~ ., data = bioChemists)"
  g <- eval(parse(text = call_text))
  sm <- summary(g)$coefficients
  glm1$h3_negbin_glmnb_biochemists <<- list(
    name = "h3_negbin_glmnb_biochemists", r_call = call_text, family = "negbin (NB2, log link)",
    y_column = "art", X_columns = I(list(NULL, "femWomen", "marMarried", "kid5", "phd", "ment")),
    terms = I(rownames(sm)), coef = I(unname(sm[, 1])), se = I(unname(sm[, 2])),
    theta = g$theta, theta_se = g$SE.theta,
    theta_note = "Var(y) = mu + mu^2 / theta",
    logLik = as.numeric(logLik(g)), df = attr(logLik(g), "df"),
    AIC = AIC(g), BIC = BIC(g), iter = g$iter)
})
for (nm in names(glm1)) cat(sprintf("%-34s logLik %.6f df %d\n", nm, glm1[[nm]]$logLik, as.integer(glm1[[nm]]$df)))

## --------------------------------------------------------------------- write
si <- sessionInfo()
ref <- list(
  description = paste("Reference fits from R's flexmix for skmix's GLM mixture-of-experts tests.",
                      "Classes are in canonical order (decreasing prior). See README.md."),
  provenance = list(
    r_version = R.version.string,
    flexmix_version = as.character(packageVersion("flexmix")),
    jsonlite_version = as.character(packageVersion("jsonlite")),
    MASS_version = as.character(packageVersion("MASS")),
    platform = si$platform, running = si$running,
    blas = si$BLAS, lapack = si$LAPACK,
    machine = sprintf("%d cores (parallel::detectCores())", parallel::detectCores()),
    date = format(Sys.time(), "%Y-%m-%d"),
    command = "Rscript tests/data/flexmix/make_reference.R"),
  conventions = list(
    class_order = "classes relabelled by decreasing prior(m) with relabel(m, 'prior', decreasing = TRUE); every per-class quantity (prior, coef, sigma, refit, concomitant, clusters, posterior columns) uses this order",
    matrices = "row-major nested lists; coef / refit.estimate / refit.se are k x p (row = class, column = term in 'terms' order); posterior is n x k",
    clusters = "MAP labels from clusters(m), 1-based, canonical order",
    concomitant = "concomitant.coef is k x q (transpose of parameters(m, which = 'concomitant')); row 1 (class 1 = baseline) is all zeros; log pi_j(z) - log pi_1(z) = z . coef[j]",
    X_columns = "CSV column of each term in 'terms' order; null = intercept (column of ones)",
    posterior_rounding = sprintf("posterior matrices rounded to %d significant digits", POST_DIGITS),
    numbers = "jsonlite digits = NA: at most 15 significant digits",
    refit = "refit(m) (method 'optim'): SEs from the Hessian of the observed-data log-likelihood; refit.estimate is optim's optimum started at the EM estimate (agrees with coef to ~1e-5 or better); refit.vcov is the full covariance, names in refit.vcov_names; refit.concomitant holds the gate coefficients of classes refit.concomitant.classes (class 1 is the baseline), and for fits without a gate the single term 'prior' = log(prior_2 / prior_1); for Gaussian fits refit.log_sigma / log_sigma_se are optim's ML log(sigma) (refit maximises the true likelihood, so its Gaussian estimates match ml_em_converged, not flexmix's EM coef)",
    concomitant_absent = "fits without a gate (FLXPconstant / ~1) have no 'concomitant' key",
    multistart_check = "when fewer than 5 of the 10 starts reached the best logLik, stepflexmix.multistart_check reruns stepFlexmix with nrep = 60 (seed + 500) and tabulates the optima found",
    stepflexmix = "stepFlexmix(..., k = 2, nrep = 10, control = list(iter.max = 1000, tol = 1e-10, minprior = 0)); logLiks_all_starts are the 10 random starts; original_to_canonical[i] = canonical label of flexmix's class i"),
  fits = fits,
  glm_one_class = glm1,
  skipped = skipped,
  stepflexmix_nrep10_seconds = timing
)
json <- toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null",
               matrix = "rowmajor", pretty = FALSE)
writeLines(json, file.path(outdir, "reference.json"))
cat("wrote", file.path(outdir, "reference.json"), "\n")
