# Exports OpenMx's growth-mixture demo data and fits the demo model
# (demo/GrowthMixtureModel_MatrixRaw.R of OpenMx, Apache-2.0), writing
# growth_mixture.csv and growth_mixture_fit.json next to this script.
# Run from this folder: Rscript make_reference.R
suppressMessages(library(OpenMx))
data(myGrowthMixtureData, package = "OpenMx")
write.csv(myGrowthMixtureData, "growth_mixture.csv", row.names = FALSE)

demo <- system.file("demo", "GrowthMixtureModel_MatrixRaw.R", package = "OpenMx")
invisible(capture.output(source(demo, local = TRUE)))  # defines gmmFit

est <- omxGetParameters(gmmFit)
se <- gmmFit$output$standardErrors[, 1]
weights <- as.numeric(gmmFit$expectation$output$weights)
json <- paste0(
  "{\n",
  '  "openmx_version": "', as.character(packageVersion("OpenMx")), '",\n',
  '  "demo": "GrowthMixtureModel_MatrixRaw",\n',
  '  "minus_two_log_likelihood": ', sprintf("%.10f", -2 * as.numeric(logLik(gmmFit))), ",\n",
  '  "n_parameters": ', length(est), ",\n",
  '  "weights": [', paste(sprintf("%.10f", weights), collapse = ", "), "],\n",
  '  "estimates": {', paste(sprintf('"%s": %.10f', names(est), est), collapse = ", "), "},\n",
  '  "standard_errors": {', paste(sprintf('"%s": %.10f', names(se), se), collapse = ", "), "}\n",
  "}\n"
)
cat(json, file = "growth_mixture_fit.json")
