/**
 * Whether an exact provider version satisfies a pessimistic constraint, as Terraform
 * reads it: `~> A.B` is >= A.B and < (A+1).0; `~> A.B.C` is >= A.B.C and < A.(B+1).
 */
export function satisfiesPessimistic(version: string, constraint: string): boolean {
  const wanted = /^~>\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(constraint)
  const exact = /^(\d+)\.(\d+)\.(\d+)$/.exec(version)
  if (!wanted || !exact) return false
  const [major, minor, patch] = [wanted[1], wanted[2], wanted[3]].map((part) => Number(part ?? 0))
  const [vMajor, vMinor, vPatch] = [exact[1], exact[2], exact[3]].map(Number)
  if (vMajor !== major) return false
  if (wanted[3] === undefined) return (vMinor ?? 0) >= (minor ?? 0)
  return vMinor === minor && (vPatch ?? 0) >= (patch ?? 0)
}
