#!/usr/bin/env Rscript
## Provenance script for the mclust reference values in tests/data/mclust/.
##
## Run from the repository root:
##     Rscript tests/data/mclust/make_reference.R            # regenerate everything
##     Rscript tests/data/mclust/make_reference.R hc me       # only some parts
## Parts: data hc me bic noise lrt timing prior weighted choice
##
## Requires R with the CRAN package 'mclust' (generated with R 4.2.2, mclust 6.0.0;
## Debian packages r-base-core, r-cran-mclust).  No other package is needed: JSON is
## written by the small writer below so that every double is printed with the
## shortest of 15/16/17 significant digits that round-trips exactly (jsonlite caps
## at 15 digits).  Everything random is seeded, so reruns are deterministic for a
## given R/mclust/BLAS combination.  The tests never run R; they only read the files.
##
## Index conventions used in all files (see README.md):
##   * class labels from mclust (hclass, classification, init labels) are stored
##     exactly as mclust gives them: 1-based (1..G); 0 = noise in noise fits.
##   * means are stored G x d (transpose of mclust's d x G parameters$mean);
##     covariances G x d x d (mclust's parameters$variance$sigma is d x d x G,
##     we store aperm(sigma, c(3, 1, 2)), i.e. out[g][i][j] = sigma[i, j, g]).
##   * mclust's BIC sign: BIC = 2 loglik - df log(n); larger is better.
##   * NA / non-finite -> JSON null.

suppressPackageStartupMessages(library(mclust))

outdir <- file.path("tests", "data", "mclust")
if (!dir.exists(outdir)) stop("run from the repository root (", outdir, " not found)")

args <- commandArgs(trailingOnly = TRUE)
parts <- if (length(args)) args else c("data", "hc", "me", "bic", "noise", "lrt", "timing", "prior", "weighted", "choice")

## ---------------------------------------------------------------- JSON writer
fmtnum <- function(x) {
  ## shortest of %.15g/%.16g/%.17g that round-trips; integers-valued ints as ints
  out <- character(length(x))
  fin <- is.finite(x)
  out[!fin] <- "null"
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
jstr <- function(s) {
  s <- gsub("\\\\", "\\\\\\\\", s)
  s <- gsub("\"", "\\\\\"", s)
  s <- gsub("\n", "\\\\n", s)
  s <- gsub("\t", "\\\\t", s)
  paste0("\"", s, "\"")
}
jatom <- function(x) {
  if (is.character(x) || is.factor(x)) {
    x <- as.character(x)
    r <- jstr(x); r[is.na(x)] <- "null"; r
  } else if (is.logical(x)) {
    r <- ifelse(x, "true", "false"); r[is.na(x)] <- "null"; r
  } else if (is.integer(x)) {
    r <- as.character(x); r[is.na(x)] <- "null"; r
  } else {
    fmtnum(as.double(x))
  }
}
## nested array, first index outermost (row-major for matrices)
jarray <- function(x) {
  d <- dim(x)
  if (is.null(d) || length(d) == 1) return(paste0("[", paste(jatom(as.vector(x)), collapse = ","), "]"))
  parts <- vapply(seq_len(d[1]), function(i) {
    sub <- do.call(`[`, c(list(x, i), rep(list(TRUE), length(d) - 1), list(drop = FALSE)))
    sub <- array(sub, dim = d[-1])
    if (is.integer(x)) storage.mode(sub) <- "integer"
    jarray(sub)
  }, "")
  paste0("[", paste(parts, collapse = ","), "]")
}
tojson <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x) && !is.data.frame(x)) {
    nm <- names(x)
    vals <- vapply(x, tojson, "")
    if (is.null(nm)) return(paste0("[", paste(vals, collapse = ","), "]"))
    return(paste0("{", paste(paste0(jstr(nm), ":", vals), collapse = ","), "}"))
  }
  if (is.data.frame(x)) return(tojson(as.list(x)))
  asis <- inherits(x, "AsIs")
  if (!is.null(dim(x)) && length(dim(x)) >= 2) return(jarray(unclass(x)))
  x <- unclass(x)
  if (length(x) == 1 && !asis) return(jatom(x))
  jarray(as.vector(x))
}
write_json <- function(x, file) {
  ## one top-level key per line for readability
  if (is.list(x) && !is.null(names(x))) {
    body <- paste0(jstr(names(x)), ": ", vapply(x, tojson, ""))
    txt <- paste0("{\n", paste(body, collapse = ",\n"), "\n}\n")
  } else txt <- paste0(tojson(x), "\n")
  cat(txt, file = file.path(outdir, file))
  message("wrote ", file.path(outdir, file), " (", file.size(file.path(outdir, file)), " bytes)")
}
write_csv <- function(df, file, fmt = fmtnum) {
  df <- as.data.frame(df)
  cols <- lapply(df, function(col) if (is.numeric(col) && !is.integer(col)) fmt(col) else as.character(col))
  lines <- c(paste(names(df), collapse = ","), do.call(paste, c(cols, sep = ",")))
  writeLines(lines, file.path(outdir, file))
  message("wrote ", file.path(outdir, file), " (", file.size(file.path(outdir, file)), " bytes)")
}

provenance <- list(
  R_version = R.version.string,
  mclust_version = as.character(packageVersion("mclust")),
  generated_by = "Rscript tests/data/mclust/make_reference.R",
  date = format(Sys.time(), "%Y-%m-%d")
)

## ---------------------------------------------------------------- datasets
data(banknote, package = "mclust")
data(diabetes, package = "mclust")
datasets <- list(
  iris = as.matrix(iris[, 1:4]),
  faithful = as.matrix(faithful),
  banknote = as.matrix(banknote[, -1]),
  diabetes = as.matrix(diabetes[, -1])
)
waiting <- faithful$waiting

if ("data" %in% parts) {
  for (nm in names(datasets)) write_csv(datasets[[nm]], paste0(nm, ".csv"))
  write_csv(data.frame(waiting = waiting), "waiting.csv")
}

## ---------------------------------------------------------------- (b) hc
## hc(data, modelName, use) first transforms the data (see body(mclust::hc)):
##   use = "VARS": Z = data (unchanged)
##   use = "SVD" (the Mclust default, mclust.options("hcUse")):
##       X <- scale(data, center = TRUE, scale = TRUE)   # column z-scores, sd with n-1
##       (columns with non-finite values dropped)
##       s <- svd(X, nu = 0)                             # X = U diag(s$d) V'
##       Z <- X %*% s$v %*% diag(1 / sqrt(s$d))          # NB 1/sqrt of *singular values*
##     i.e. Z = U diag(sqrt(d)): principal-component scores divided by sqrt(singular
##     value) -- NOT full whitening (that would divide by d/sqrt(n-1)).  Column
##     signs follow LAPACK's SVD and are arbitrary; hcVVV/hcEII are invariant to
##     column sign flips (and hcVVV to any orthogonal rotation).
## then calls hcVVV/hcEII(Z).  hcVVV uses alpha = traceW(Z / sqrt(n * p)) (trace of
## the total within scatter of Z/sqrt(n p), floored at eps), beta = 1.
## The tree is a 2 x (n-1) integer matrix: column l holds the pair (i, j), i < j, of
## the l-th merge; clusters are named by the smallest observation index (1-based)
## they contain, i.e. after the merge cluster j ceases to exist and its members
## join cluster i (this is exactly how hclass() replays the tree).
## hclass(tree, G) relabels each partition with partconv(consec = TRUE): labels
## 1..G in order of first appearance along the rows.
if ("hc" %in% parts) {
  variants <- list(
    VVV_SVD = list(modelName = "VVV", use = "SVD"),
    EII_VARS = list(modelName = "EII", use = "VARS"),
    VVV_VARS = list(modelName = "VVV", use = "VARS")
  )
  res <- list()
  for (nm in names(datasets)) {
    X <- datasets[[nm]]
    dres <- list(n = nrow(X), d = ncol(X), columns = I(colnames(X)))
    for (v in names(variants)) {
      tree <- hc(X, modelName = variants[[v]]$modelName, use = variants[[v]]$use)
      cls <- hclass(tree, 1:9)
      storage.mode(cls) <- "integer"
      m <- unclass(tree)
      attributes(m) <- list(dim = dim(tree))
      storage.mode(m) <- "integer"
      entry <- list(
        modelName = variants[[v]]$modelName, use = variants[[v]]$use,
        merge = m,                      # 2 x (n-1), 1-based, row 1 = i < row 2 = j
        hclass = setNames(lapply(1:9, function(g) I(cls[, as.character(g)])), as.character(1:9))
      )
      if (variants[[v]]$use == "SVD") {
        Z <- attr(tree, "data")
        Xs <- scale(X, center = TRUE, scale = TRUE)
        s <- svd(Xs, nu = 0)
        Zchk <- Xs %*% s$v %*% diag(1 / sqrt(s$d), ncol(X), ncol(X))
        stopifnot(max(abs(Zchk - Z)) == 0)
        entry$Z_formula <- "Z = scale(X) %*% V %*% diag(1/sqrt(d)), svd(scale(X)) = U diag(d) V'; scale uses sd with n-1; column signs arbitrary (LAPACK)"
        entry$center <- I(attr(Xs, "scaled:center"))
        entry$scale <- I(attr(Xs, "scaled:scale"))
        entry$singular_values <- I(s$d)
        entry$V <- s$v
        entry$Z_head <- unname(Z[1:5, , drop = FALSE])
        entry$Z <- unname(Z)
        entry$alpha <- max(mclust:::traceW(Z / sqrt(nrow(Z) * ncol(Z))), .Machine$double.eps)
      } else if (variants[[v]]$modelName == "VVV") {
        entry$alpha <- max(mclust:::traceW(X / sqrt(nrow(X) * ncol(X))), .Machine$double.eps)
      }
      dres[[v]] <- entry
    }
    res[[nm]] <- dres
  }
  write_json(c(list(
    provenance = provenance,
    description = paste(
      "mclust hierarchical agglomeration (hc) as used to initialise Mclust().",
      "Mclust default: hc(X, modelName = mclust.options('hcModelName') = 'VVV', use = mclust.options('hcUse') = 'SVD').",
      "For each dataset: VVV_SVD, EII_VARS, VVV_VARS.  merge: the hc tree as-is, a 2 x (n-1) matrix (row-major: merge[0] = first",
      "elements i, merge[1] = second elements j, i < j), 1-based observation indices; at merge l the cluster named j joins the",
      "cluster named i (clusters are named by their smallest member index).  hclass[G]: hclass(tree, G), 1-based labels 1..G",
      "numbered in order of first appearance (partconv).  For SVD also the transformed data Z that hc clustered (full and",
      "first 5 rows), its construction (center, scale, singular values, V) and the hcVVV alpha = traceW(Z/sqrt(n p)); beta = 1."),
    mclust_options = list(hcUse = mclust.options("hcUse"), hcModelName = mclust.options("hcModelName"))
  ), res), "hc_reference.json")
}

## ---------------------------------------------------------------- (c) me
models14 <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE",
              "EEV", "VEV", "EVV", "VVV")
tight <- emControl(tol = c(1e-12, 1e-12), itmax = c(100000, 100000))

fit_record <- function(fit, X, model, G, dsname, init) {
  X <- as.matrix(X)
  n <- nrow(X); d <- ncol(X)
  info <- attr(fit, "info")
  inner <- attr(info, "inner")
  rc <- attr(fit, "returnCode")
  warn <- attr(fit, "WARNING")
  rec <- list(dataset = dsname, model = model, G = G, n = n, d = d,
              init_labels = I(as.integer(init)))
  rec$info <- as.list(unclass(info)[seq_along(info)])
  names(rec$info) <- names(info)
  rec$n_iter <- as.integer(info[1])
  if (!is.null(inner)) {
    rec$inner <- as.list(inner); names(rec$inner) <- names(inner)
    rec$n_iter_inner <- as.integer(inner[1])
  } else rec$inner <- NULL
  rec$returnCode <- rc
  rec$warning <- if (is.null(warn)) NULL else warn
  ll <- fit$loglik
  rec$loglik <- ll
  rec$df <- nMclustParams(model, d, G)
  rec$bic <- if (is.na(ll)) NA else bic(model, ll, n, d, G)
  if (is.na(ll)) {
    rec$failed <- TRUE
    rec$failure_reason <- if (is.null(warn)) "NA loglik" else warn
    return(rec)
  }
  rec$failed <- FALSE
  p <- fit$parameters
  rec$pro <- I(as.vector(p$pro))
  mu <- matrix(p$mean, nrow = d)
  rec$mean <- unname(t(mu))                                  # G x d
  if (d == 1) {
    v <- rep_len(as.vector(p$variance$sigmasq), G)
    rec$sigma <- array(v, c(G, 1, 1))                       # G x 1 x 1
    rec$sigmasq <- I(as.vector(p$variance$sigmasq))
  } else {
    S <- p$variance$sigma
    rec$sigma <- unname(aperm(S, c(3, 1, 2)))                # G x d x d
  }
  var <- p$variance
  for (k in c("scale", "shape")) if (!is.null(var[[k]])) rec[[k]] <- I(as.vector(var[[k]]))
  if (!is.null(var$orientation)) {
    O <- var$orientation
    rec$orientation <- if (length(dim(O)) == 3) unname(aperm(O, c(3, 1, 2))) else unname(O)
  }
  rec
}

if ("me" %in% parts) {
  cases <- list(list(ds = "iris", G = 3), list(ds = "banknote", G = 2), list(ds = "diabetes", G = 3))
  out <- list()
  checked <- FALSE
  for (cs in cases) {
    X <- datasets[[cs$ds]]
    init <- hclass(hc(X, modelName = "VVV", use = "SVD"), cs$G)[, 1]
    z0 <- unmap(init)
    for (model in models14) {
      fit <- withCallingHandlers(
        me(modelName = model, data = X, z = z0, control = tight, warn = TRUE),
        warning = function(w) invokeRestart("muffleWarning"))
      rec <- fit_record(fit, X, model, cs$G, cs$ds, init)
      if (!checked && !rec$failed && model == "VVV") {
        ## verify the transpose: out[g][i][j] == sigma[i, j, g]
        S <- fit$parameters$variance$sigma
        stopifnot(all(rec$sigma[2, , ] == S[, , 2]), all(rec$mean[2, ] == fit$parameters$mean[, 2]))
        checked <- TRUE
      }
      out[[length(out) + 1]] <- rec
    }
  }
  ## 1-D: Mclust/mclustBIC do not use hc for d = 1; they initialise with
  ## qclass(x, G) (quantile classes, mclust:::qclass).  We do the same.
  for (model in c("E", "V")) {
    G <- 2
    init <- mclust:::qclass(waiting, G)
    z0 <- unmap(init)
    fit <- me(modelName = model, data = waiting, z = z0, control = tight, warn = TRUE)
    rec <- fit_record(fit, matrix(waiting), model, G, "waiting", init)
    rec$init_method <- "mclust:::qclass(waiting, 2)"
    out[[length(out) + 1]] <- rec
  }
  write_json(list(
    provenance = provenance,
    description = paste(
      "me() (EM from an initial partition) for each model.  Multivariate: init_labels = hclass(hc(X, 'VVV', use = 'SVD'), G)",
      "(1-based labels), z0 = unmap(init_labels).  1-D (waiting): init_labels = mclust:::qclass(x, G) as Mclust does for d = 1.",
      "Then me(modelName, X, z0, control = emControl(tol = c(1e-12, 1e-12), itmax = c(1e5, 1e5))).",
      "info: attr(fit, 'info') -- first element = number of outer EM iterations, second = last relative change in loglik",
      "(|l_new - l_old| / (1 + |l_new|)); EM stops when that is <= tol[1].  loglik is the one computed in the E-step after",
      "the last M-step, i.e. it matches the returned parameters.  inner: attr(info, 'inner') for the models with an",
      "iterative M-step, tolerance tol[2], limit itmax[2] (defaults sqrt(.Machine$double.eps), .Machine$integer.max):",
      "VEI and VEV (Fortran mevei/mevev): scale/shape fixed-point, warm-started across EM iterations, stop when the max",
      "relative change |old-new|/(1+new) over scales and shapes is <= tol[2]; the reported count is the MAXIMUM over all EM",
      "iterations.  VEE, EVE, VVE (mevee/meeve/mevve): stop when the relative change of the M-step target is <= tol[2]",
      "(always >= 2 inner iterations); VEE restarts its scales at 1 every M-step, EVE/VVE warm-start shape and orientation",
      "(MM algorithm of Browne & McNicholas); the reported count is that of the LAST M-step.  EVV has a closed-form M-step.",
      "mean: G x d.  sigma: G x d x d.  bic = 2 loglik - df log n.",
      "scale/shape/orientation: mclust's decomposition as returned (orientation G x d x d when varying, else d x d)."),
    control = list(tol = I(tight$tol), itmax = I(tight$itmax), eps = tight$eps),
    fits = out
  ), "me_reference.json")
}

## ---------------------------------------------------------------- (d) Mclust BIC
if ("bic" %in% parts) {
  res <- list()
  for (nm in names(datasets)) {
    X <- datasets[[nm]]
    tm <- system.time(fit <- Mclust(X, verbose = FALSE))
    B <- fit$BIC
    tab <- lapply(colnames(B), function(m) I(as.vector(B[, m])))
    names(tab) <- colnames(B)
    rc <- attr(B, "returnCodes")
    rct <- lapply(colnames(rc), function(m) I(as.integer(rc[, m])))
    names(rct) <- colnames(rc)
    sizes <- table(fit$classification)
    res[[nm]] <- list(
      n = nrow(X), d = ncol(X),
      G_values = I(as.integer(rownames(B))),
      BIC = tab, returnCodes = rct,
      modelName = fit$modelName, G = fit$G, bic = fit$bic, loglik = fit$loglik, df = fit$df,
      icl = icl(fit),
      class_sizes = I(as.integer(sizes)),
      classification = I(as.integer(fit$classification)),
      pro = I(as.vector(fit$parameters$pro)),
      mean = unname(t(matrix(fit$parameters$mean, nrow = ncol(X)))),
      elapsed_s = round(unname(tm["elapsed"]), 3)
    )
  }
  write_json(c(list(
    provenance = provenance,
    description = paste(
      "Mclust(X) with all defaults (G = 1:9, the 14 mclust.options('emModelNames'), hc VVV/SVD init, emControl() defaults:",
      "tol = c(1e-5, sqrt(.Machine$double.eps))).  BIC: model -> 9 values for G = 1..9 (null = NA, model not fitted/failed).",
      "mclust sign: BIC = 2 loglik - df log n (higher is better).  classification and class_sizes 1-based labels 1..G.",
      "returnCodes: attr(BIC, 'returnCodes') (0 ok, -1 singular, -3 pro below threshold, 1/2 iteration limits).",
      "elapsed_s: system.time(Mclust(X))['elapsed'] on the generating machine.")
  ), res), "mclust_bic_reference.json")
}

## ---------------------------------------------------------------- (e) noise
if ("noise" %in% parts) {
  set.seed(1)
  nc <- 150
  centers <- rbind(c(0, 0), c(6, 0), c(3, 5))
  covs <- list(matrix(c(1, 0.3, 0.3, 0.5), 2), matrix(c(0.5, -0.2, -0.2, 1), 2), diag(c(0.7, 0.7)))
  Xc <- do.call(rbind, lapply(1:3, function(k) {
    Z <- matrix(rnorm(2 * nc), nc, 2)
    sweep(Z %*% chol(covs[[k]]), 2, centers[k, ], "+")
  }))
  lo <- c(-6, -6); hi <- c(12, 11)
  Xn <- cbind(runif(nc, lo[1], hi[1]), runif(nc, lo[2], hi[2]))
  X <- rbind(Xc, Xn)
  truth <- c(rep(0:2, each = nc), rep(-1L, nc))
  colnames(X) <- c("x1", "x2")
  write_csv(data.frame(x1 = X[, 1], x2 = X[, 2], label = as.integer(truth)), "noise.csv")
  n <- nrow(X)
  ## noise init: rows whose distance to their 5th nearest neighbour is in the top 25%
  D <- as.matrix(dist(X))
  diag(D) <- Inf
  knn5 <- apply(D, 1, function(r) sort(r, partial = 5)[5])
  noiseInit <- knn5 > quantile(knn5, 0.75)
  ## hypvol: min of bounding-box volume and the volume of the box in principal-
  ## component coordinates (princomp scores), computed on the log scale
  bdvol <- exp(sum(log(apply(X, 2, function(c) diff(range(c))))))
  pcvol <- exp(sum(log(apply(princomp(X)$scores, 2, function(c) diff(range(c))))))
  rec <- function(fit) {
    list(modelName = fit$modelName, G = fit$G, bic = fit$bic, loglik = fit$loglik, df = fit$df,
         hypvol = fit$hypvol, pro = I(as.vector(fit$parameters$pro)),
         noise_weight = tail(fit$parameters$pro, 1),
         mean = unname(t(matrix(fit$parameters$mean, nrow = 2))),
         sigma = unname(aperm(fit$parameters$variance$sigma, c(3, 1, 2))),
         classification = I(as.integer(fit$classification)),
         class_sizes = as.list(table(factor(fit$classification, levels = 0:fit$G))),
         ari_vs_truth = adjustedRandIndex(fit$classification, truth),
         BIC = { B <- fit$BIC; l <- lapply(colnames(B), function(m) I(as.vector(B[, m]))); names(l) <- colnames(B); l },
         G_values = I(as.integer(rownames(fit$BIC))))
  }
  f1 <- Mclust(X, initialization = list(noise = noiseInit), verbose = FALSE)
  f2 <- Mclust(X, G = 3, modelNames = "VVV", initialization = list(noise = noiseInit), verbose = FALSE)
  write_json(list(
    provenance = provenance,
    description = paste(
      "Noise-component fits on noise.csv (columns x1, x2, label; label -1 = uniform clutter, 0..2 = Gaussian clusters).",
      "noise_init (logical, TRUE = initial noise): rows whose Euclidean distance to their 5th nearest neighbour (self",
      "excluded) is > quantile(., 0.75) (R type 7).  default: Mclust(X, initialization = list(noise = noise_init));",
      "VVV_G3: Mclust(X, G = 3, modelNames = 'VVV', initialization = list(noise = noise_init)).  classification as given",
      "by mclust: 0 = noise, 1..G clusters.  pro: G cluster proportions then the noise proportion last.",
      "hypvol = mclust::hypvol(X) = min(bounding-box volume, volume of the axis-aligned bounding box of princomp(X)$scores);",
      "the noise density is 1/hypvol.  Noise models count 2 extra parameters in df (nMclustParams(noise = TRUE)).",
      "BIC table G_values 0..9 (G = 0: noise only).  ari_vs_truth: adjustedRandIndex(classification, label)."),
    generator = paste("set.seed(1); for k in 1..3: Z <- matrix(rnorm(300), 150, 2); Z %*% chol(cov_k) + center_k;",
                      "then cbind(runif(150, -6, 12), runif(150, -6, 11))"),
    centers = centers, covariances = aperm(simplify2array(covs), c(3, 1, 2)),
    clutter_box = list(lo = I(lo), hi = I(hi)),
    n = n, noise_init = I(noiseInit), knn5_threshold = unname(quantile(knn5, 0.75)),
    hypvol = hypvol(X), hypvol_reciprocal = hypvol(X, reciprocal = TRUE),
    bounding_box_volume = bdvol, pc_box_volume = pcvol,
    default = rec(f1), VVV_G3 = rec(f2)
  ), "noise_reference.json")
}

## ---------------------------------------------------------------- (f) bootstrap LRT
if ("lrt" %in% parts) {
  set.seed(0)
  b <- mclustBootstrapLRT(faithful, modelName = "EEE", maxG = 3, nboot = 199, verbose = FALSE)
  write_json(list(
    provenance = provenance,
    description = paste(
      "set.seed(0); mclustBootstrapLRT(faithful, modelName = 'EEE', maxG = 3, nboot = 199).  Test k: H0 G = k vs H1 G = k+1.",
      "obs: observed LRTS = 2 (loglik_{k+1} - loglik_k); boot[k]: the 199 bootstrap LRTS (parametric bootstrap from the",
      "fitted G = k model: sim(), then em() for k and k+1 components started from the fitted G = k and G = k+1",
      "parameters; replicates with NA LRTS are redrawn); p_value = (1 + sum(boot >= obs)) / (nboot + 1).",
      "The G = 1..4 fits are mclustBIC(faithful, G = 1:4, modelNames = 'EEE') with default emControl()."),
    modelName = b$modelName, G = I(as.integer(b$G)), obs = I(unname(b$obs)),
    p_value = I(unname(b$p.value)), nboot = nrow(b$boot),
    boot = lapply(seq_len(ncol(b$boot)), function(k) I(unname(b$boot[, k])))
  ), "bootstrap_lrt_reference.json")
}

## ---------------------------------------------------------------- (g) timing
if ("timing" %in% parts) {
  set.seed(2)
  n <- 10000; d <- 5; K <- 4
  centers <- matrix(rnorm(K * d, sd = 4), K, d)
  lab <- sample.int(K, n, replace = TRUE, prob = c(0.4, 0.3, 0.2, 0.1))
  X <- centers[lab, ] + matrix(rnorm(n * d), n, d)
  colnames(X) <- paste0("x", 1:d)
  X6 <- signif(X, 6)
  ## written with 6 significant digits; the timing is measured on the rounded data
  write_csv(data.frame(X6, label = as.integer(lab - 1L)), "timing.csv",
            fmt = function(x) sprintf("%.6g", x))
  set.seed(3)   # Mclust draws a random subset of 2000 rows for hc when n > 2000
  tm <- system.time(fit <- Mclust(X6, verbose = FALSE))
  write_json(list(
    provenance = provenance,
    description = paste(
      "Timing of Mclust(X) (all defaults) on a 1e4 x 5 simulated set (timing.csv, 6 significant digits, label 0-based).",
      "Generator: set.seed(2); centers <- matrix(rnorm(4*5, sd = 4), 4, 5); lab <- sample.int(4, 1e4, TRUE, prob =",
      "c(.4,.3,.2,.1)); X <- centers[lab, ] + matrix(rnorm(1e4*5), 1e4, 5); X <- signif(X, 6).  Then set.seed(3) before",
      "Mclust because for n > mclust.options('subset') = 2000 Mclust runs hc on a random subset of 2000 rows.",
      "elapsed_s is wall-clock seconds of system.time(Mclust(X)) on a 2-core machine (single-threaded reference BLAS)."),
    n = n, d = d, K = K, centers = centers, weights = I(c(0.4, 0.3, 0.2, 0.1)),
    elapsed_s = round(unname(tm["elapsed"]), 3), user_s = round(unname(tm["user.self"]), 3),
    subset_size = mclust.options("subset"),
    modelName = fit$modelName, G = fit$G, bic = fit$bic, loglik = fit$loglik,
    ari_vs_truth = adjustedRandIndex(fit$classification, lab)
  ), "timing.json")
}

## ---------------------------------------------------------------- (h) prior
## mclust's conjugate prior (Fraley & Raftery 2007, J. Classification 24):
## priorControl() = defaultPrior(data, G, modelName), evaluated by every
## me*/mstep*/mvn* call on the data it is given.  Mclust/mclustBIC drop EVE,
## VEE, VVE and EVV when a prior is given, so only the other ten (and E, V in
## 1-D) are fitted here.  With G = 1, mclustBIC uses mvn() (mvnXII, mvnXXI,
## mvnXXX, mvnX), not me().  loglik is the log-likelihood at the MAP
## estimate (the Fortran me*p routines return the log prior separately, and
## the R code does not use it); bic() is 2 loglik - df log n as without prior.
if ("prior" %in% parts) {
  models10 <- c("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "EEV", "VEV", "VVV")
  prior_record <- function(pp) {
    list(shrinkage = pp$shrinkage, mean = I(unname(as.vector(pp$mean))), dof = pp$dof,
         scale = if (length(pp$scale) > 1) unname(as.matrix(pp$scale)) else unname(pp$scale))
  }
  out <- list()
  cases <- list(list(ds = "iris", G = 3), list(ds = "banknote", G = 2))
  for (cs in cases) {
    X <- datasets[[cs$ds]]
    init <- hclass(hc(X, modelName = "VVV", use = "SVD"), cs$G)[, 1]
    z0 <- unmap(init)
    for (model in models10) {
      fit <- withCallingHandlers(
        me(modelName = model, data = X, z = z0, prior = priorControl(), control = tight, warn = TRUE),
        warning = function(w) invokeRestart("muffleWarning"))
      rec <- fit_record(fit, X, model, cs$G, cs$ds, init)
      rec$prior <- prior_record(defaultPrior(X, cs$G, model))
      out[[length(out) + 1]] <- rec
    }
  }
  for (model in c("E", "V")) {
    G <- 2
    init <- mclust:::qclass(waiting, G)
    fit <- me(modelName = model, data = waiting, z = unmap(init), prior = priorControl(),
              control = tight, warn = TRUE)
    rec <- fit_record(fit, matrix(waiting), model, G, "waiting", init)
    rec$init_method <- "mclust:::qclass(waiting, 2)"
    rec$prior <- prior_record(defaultPrior(waiting, G, model))
    out[[length(out) + 1]] <- rec
  }
  selected <- list()
  for (nm in c("iris", "faithful")) {
    X <- datasets[[nm]]
    fit <- withCallingHandlers(
      Mclust(X, prior = priorControl(), verbose = FALSE),
      warning = function(w) invokeRestart("muffleWarning"))
    B <- fit$BIC
    tab <- lapply(colnames(B), function(m) I(as.vector(B[, m])))
    names(tab) <- colnames(B)
    rc <- attr(B, "returnCodes")
    rct <- lapply(colnames(rc), function(m) I(as.integer(rc[, m])))
    names(rct) <- colnames(rc)
    selected[[nm]] <- list(
      n = nrow(X), d = ncol(X), G_values = I(as.integer(rownames(B))),
      modelNames = I(colnames(B)), BIC = tab, returnCodes = rct,
      modelName = fit$modelName, G = fit$G, bic = fit$bic, loglik = fit$loglik, df = fit$df,
      pro = I(as.vector(fit$parameters$pro)),
      mean = unname(t(matrix(fit$parameters$mean, nrow = ncol(X)))),
      sigma = unname(aperm(fit$parameters$variance$sigma, c(3, 1, 2))),
      classification = I(as.integer(fit$classification))
    )
  }
  write_json(c(list(
    provenance = provenance,
    description = paste(
      "MAP estimation under mclust's conjugate prior.  fits: me(modelName, X, z0, prior = priorControl(),",
      "control = emControl(tol = c(1e-12, 1e-12), itmax = c(1e5, 1e5))) from the same z0 as me_reference.json",
      "(hc VVV/SVD partition; qclass for 1-D waiting), for the 10 models mclust offers with a prior (not EVE, VEE,",
      "VVE, EVV) on iris (G = 3) and banknote (G = 2), and E, V on waiting (G = 2).  prior: defaultPrior(X, G, model)",
      "as me() evaluates it (shrinkage, mean, dof, scale: a number for spherical/diagonal/1-D models, a d x d matrix",
      "otherwise).  loglik: the log-likelihood (not the log posterior) at the MAP estimate, as the me*p Fortran",
      "returns it; bic = 2 loglik - df log n, df = nMclustParams (as without prior).  Other fields as in",
      "me_reference.json.  selected: Mclust(X, prior = priorControl()) on iris and faithful: the BIC table (models",
      "without EVE, VEE, VVE, EVV; G = 1 fitted by mvn with defaultPrior(X, 1, 'XII'/'XXI'/'XXX')), returnCodes,",
      "the chosen model, G, bic, loglik, df and parameters (mean G x d, sigma G x d x d), classification 1-based."),
    control = list(tol = I(tight$tol), itmax = I(tight$itmax), eps = tight$eps),
    fits = out
  ), list(selected = selected)), "prior_reference.json")
}

## ------------------------------------------------------- (h) weighted EM
if ("weighted" %in% parts) {
  cases <- list(list(ds = "iris", G = 3), list(ds = "banknote", G = 2))
  out <- list()
  for (cs in cases) {
    X <- datasets[[cs$ds]]
    w <- rep_len(c(1, 2, 3), nrow(X))
    init <- hclass(hc(X, modelName = "VVV", use = "SVD"), cs$G)[, 1]
    for (model in c("VVV", "EEE", "VVI", "VEV", "EII")) {
      fit <- withCallingHandlers(
        me.weighted(X, modelName = model, z = unmap(init), weights = w, control = tight),
        warning = function(w) invokeRestart("muffleWarning"))
      out[[length(out) + 1]] <- list(
        dataset = cs$ds, model = model, G = cs$G, loglik = fit$loglik, bic = fit$bic,
        pro = I(as.vector(fit$parameters$pro)),
        mean = unname(t(matrix(fit$parameters$mean, nrow = ncol(X)))),
        sigma = unname(aperm(fit$parameters$variance$sigma, c(3, 1, 2))),
        init_labels = I(as.integer(init)))
    }
  }
  write_json(list(
    provenance = provenance,
    description = paste(
      "Weighted EM: me.weighted(X, modelName, z = unmap(init_labels), weights = rep_len(c(1, 2, 3), n),",
      "control = emControl(tol = c(1e-12, 1e-12), itmax = c(1e5, 1e5))) with init_labels = hclass(hc(X, 'VVV',",
      "use = 'SVD'), G), on iris (G = 3) and banknote (G = 2).  me.weighted rescales the weights to a maximum of 1,",
      "runs the M-step on z * w (proportions divided by mean(w)) and, in mclust 6.0.0, returns loglik = sum(w log f)",
      "with the rescaled weights (later sources divide by mean(w)); bic = 2 loglik - df log n.  mean: G x d,",
      "sigma: G x d x d."),
    fits = out
  ), "weighted_reference.json")
}

## ------------------------------------------------------- Mclust's choice
## Mclust(X) with defaults on 16 more small data sets of base R and mclust,
## for the breadth of the selector's agreement (the four above have the full
## record in mclust_bic_reference.json).  Data go to choice/<name>.csv.
if ("choice" %in% parts) {
  for (nm in c("wreath", "chevron", "thyroid", "acidity", "EuroUnemployment"))
    data(list = nm, package = "mclust")
  choice_sets <- list(
    usarrests = list(USArrests, "datasets::USArrests"),
    trees = list(trees, "datasets::trees"),
    swiss = list(swiss, "datasets::swiss"),
    quakes = list(quakes[, 1:4], "datasets::quakes[, 1:4]"),
    attitude = list(attitude, "datasets::attitude"),
    rock = list(rock, "datasets::rock"),
    stackloss = list(stackloss, "datasets::stackloss"),
    lifecyclesavings = list(LifeCycleSavings, "datasets::LifeCycleSavings"),
    mtcars = list(mtcars[, c(1, 3, 4, 5, 6, 7)], "datasets::mtcars[, c(1, 3:7)]"),
    precip = list(data.frame(precip = as.numeric(precip)), "datasets::precip"),
    women = list(women, "datasets::women"),
    wreath = list(wreath, "mclust::wreath"),
    chevron = list(chevron[, 2:3], "mclust::chevron[, 2:3]"),
    thyroid = list(thyroid[, -1], "mclust::thyroid[, -1]"),
    acidity = list(data.frame(acidity = acidity), "mclust::acidity"),
    eurounemployment = list(EuroUnemployment, "mclust::EuroUnemployment"))
  if (!dir.exists(file.path(outdir, "choice"))) dir.create(file.path(outdir, "choice"))
  res <- list()
  for (nm in names(choice_sets)) {
    X <- as.matrix(choice_sets[[nm]][[1]])
    write_csv(X, file.path("choice", paste0(nm, ".csv")))
    fit <- Mclust(X, verbose = FALSE)
    B <- fit$BIC
    tab <- lapply(colnames(B), function(m) I(as.vector(B[, m])))
    names(tab) <- colnames(B)
    res[[nm]] <- list(
      source = choice_sets[[nm]][[2]], n = nrow(X), d = ncol(X), BIC = tab,
      modelName = fit$modelName, G = fit$G, bic = fit$bic, loglik = fit$loglik,
      df = fit$df, class_sizes = I(as.vector(colSums(fit$z))))
  }
  write_json(c(list(
    provenance = provenance,
    description = paste(
      "Mclust(X) with all defaults (as in mclust_bic_reference.json) on the data in choice/<name>.csv",
      "(source: the R expression they come from).  BIC: model -> values for G = 1..9 (null = NA);",
      "mclust sign, higher is better.  class_sizes: colSums(fit$z) of the chosen model.")
  ), res), "mclust_choice_reference.json")
}
