// Placeholder until the ONNX exporter lands: training works with --no-export meanwhile.
import type { PreparedData } from './prepare.ts';
import type { RunResult } from './run.ts';

export async function exportAndEvaluate(_r: RunResult, _d: PreparedData): Promise<void> {
  throw new Error('ONNX export is not available yet: rerun with --no-export');
}
