// Predictions and labels of every task are kept row-major as [n, tasks]; metrics take one
// task's column.

/** Column t of a row-major [n, T] matrix. */
export function column(m: Float32Array, T: number, t: number): Float32Array {
  const out = new Float32Array(m.length / T);
  for (let i = 0; i < out.length; i++) out[i] = m[i * T + t];
  return out;
}
