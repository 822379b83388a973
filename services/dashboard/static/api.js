// The query API as the pages use it: the read token from localStorage as a Bearer token.

const TOKEN_KEY = "leadfunnel.readToken";

/** The API refused the token (401 / 403): the page asks for another. */
export class AuthError extends Error {}

export const tokenStore = {
  get: () => localStorage.getItem(TOKEN_KEY),
  set: (token) => localStorage.setItem(TOKEN_KEY, token.trim()),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

/** GET `path` with query `params` (null / "" values left out); the JSON answer. */
export async function getJson(config, path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, value);
  }
  const url = `${config.api}${path}${query.size ? `?${query}` : ""}`;
  const answer = await fetch(url, {
    headers: { Authorization: `Bearer ${tokenStore.get() ?? ""}`, Accept: "application/json" },
  });
  if (answer.status === 401 || answer.status === 403) throw new AuthError(await answer.text());
  if (!answer.ok) {
    const error = new Error(`${answer.status} ${path}: ${(await answer.text()).slice(0, 200)}`);
    error.status = answer.status;
    throw error;
  }
  return answer.json();
}
