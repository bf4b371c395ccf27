// What went wrong in a call to the API server, as one log line. The generated client throws
// ApiException (`code` = HTTP status, `body` = the server's Status as JSON text); the watch
// reports node-fetch errors or an Error with `statusCode`.

/** The HTTP status of a failed API call, if the error carries one. */
export function httpStatus(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.code === "number") return e.code;
  if (typeof e?.statusCode === "number") return e.statusCode;
  return undefined;
}

/** `HTTP 409: <the server's message>`, or the error's first line. */
export function apiErrorText(err: unknown): string {
  const e = err as { body?: unknown; message?: unknown } | null;
  let message = typeof e?.message === "string" && e.message !== "" ? e.message.split("\n")[0]! : String(err);
  if (typeof e?.body === "string") {
    try {
      message = (JSON.parse(e.body) as { message?: string }).message ?? e.body;
    } catch {
      message = e.body;
    }
  }
  const status = httpStatus(err);
  return status === undefined ? message : `HTTP ${status}: ${message}`;
}
