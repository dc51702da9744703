// Calibration statistics and their turning into quantization parameters: pure math shared by runtime/calibrate.ts
// (which collects the statistics) and passes/quantize (which chooses the parameters from them).

export { type HistogramData, Histogram, DEFAULT_HISTOGRAM_BINS, binWidth, binCenter, histogramTotal } from './histogram.js';
export { type ObserverOptions, TensorObserver } from './observer.js';
export { type CalibMethod, CALIB_METHODS, needsHistogram, type TensorStats, type CalibrationStats } from './stats.js';
export {
  type ClipRange, type GridQuant, percentileRange, histogramSquaredError, mseRange, MSE_GRID, absHistogram, entropyThreshold,
  ENTROPY_MAX_CANDIDATES,
} from './range.js';
export {
  affineQuant, symmetricQuant, type ActivationQuantOptions, DEFAULT_PERCENTILE, activationQuant, weightScales,
} from './params.js';
export { CALIB_TABLE_FORMAT, CALIB_TABLE_VERSION, type CalibrationTable, calibrationTableJson, parseCalibrationTable } from './table.js';
