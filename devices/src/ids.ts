/** Device, community and cell ids as the contract fixes them. */
export const ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
const idRegex = new RegExp(ID_PATTERN);

export function isValidId(value: string): boolean {
  return idRegex.test(value);
}
