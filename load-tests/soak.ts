import { k6Entry } from './k6/entry.ts'

// `k6 run load-tests/soak.ts`; the scenario itself is defined in lib/scenarios.ts.
const entry = k6Entry('soak')

export const options = entry.options
export default entry.iteration
