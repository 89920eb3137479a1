# Labelled data sets for benchmarks/bench_open_set.py (leave-one-class-out
# novelty detection). Run once: Rscript make_data.R (R 4.2.2, mclust 6.0.0,
# MASS 7.3). Each file: the numeric features, then the class in column "label".
library(mclust)
library(MASS)
write_set <- function(features, label, file) {
  out <- data.frame(features, label = as.character(label))
  write.csv(out, file, row.names = FALSE)
}
data(banknote); write_set(banknote[, -1], banknote$Status, "banknote.csv")
data(diabetes); write_set(diabetes[, -1], diabetes$class, "diabetes.csv")
data(thyroid); write_set(thyroid[, -1], thyroid$Diagnosis, "thyroid.csv")
data(fgl); write_set(fgl[, -10], fgl$type, "fgl.csv")
data(crabs); write_set(crabs[, 4:8], paste(crabs$sp, crabs$sex, sep = ":"), "crabs.csv")
