/**
 * Validates a gateway's answer to the benchmark query (`query.graphql`), as the original k6 script
 * does and stricter: no `errors`, and `data` equal to the expected response built here from the
 * benchmark's data, so every list has its count and every field its value — including
 * `shippingEstimate`, which only comes out right when the gateway sends `inventory` the `price` and
 * `weight` it @requires. (The original checks types only, and its `inventory` ignores the
 * representation and answers null there.)
 */
import {
  IN_STOCK,
  PRODUCTS,
  REVIEW_AUTHOR_ID,
  REVIEW_AUTHOR_USERNAME,
  REVIEWS,
  shippingEstimate,
  TOP_PRODUCTS_DEFAULT,
  USER_REVIEWS,
  USERS,
  type BenchProduct,
  type BenchReview,
} from './data.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function productFields(product: BenchProduct) {
  return {
    inStock: IN_STOCK.get(product.upc) ?? null,
    name: product.name,
    price: product.price,
    shippingEstimate: shippingEstimate(product.price, product.weight),
    upc: product.upc,
    weight: product.weight,
  };
}

function product(upc: string): BenchProduct {
  const found = PRODUCTS.find((p) => p.upc === upc);
  if (!found) throw new Error(`No product ${upc} in the benchmark data`);
  return found;
}

function author() {
  const user = USERS.find((u) => u.id === REVIEW_AUTHOR_ID);
  return {
    id: REVIEW_AUTHOR_ID,
    username: REVIEW_AUTHOR_USERNAME,
    name: user?.name ?? null,
    reviews: USER_REVIEWS.map((r) => ({
      id: r.id,
      body: r.body,
      product: productFields(product(r.productUpc)),
    })),
  };
}

const reviewsOf = (upc: string): BenchReview[] => REVIEWS.filter((r) => r.productUpc === upc);

/** The one correct response to `query.graphql`. */
export function expectedFederationResponse(): { data: Json } {
  return {
    data: {
      users: USERS.map((user) => ({
        id: user.id,
        username: user.username,
        name: user.name,
        reviews: USER_REVIEWS.map((review) => ({
          id: review.id,
          body: review.body,
          product: {
            ...productFields(product(review.productUpc)),
            reviews: reviewsOf(review.productUpc).map((r) => ({ id: r.id, body: r.body, author: author() })),
          },
        })),
      })),
      topProducts: PRODUCTS.slice(0, TOP_PRODUCTS_DEFAULT).map((p) => ({
        ...productFields(p),
        reviews: reviewsOf(p.upc).map((r) => ({ id: r.id, body: r.body, author: author() })),
      })),
    },
  };
}

/** The first difference between `actual` and `expected` as `path: explanation`, or undefined. */
function difference(actual: unknown, expected: Json, path: string): string | undefined {
  if (expected === null || typeof expected !== 'object') {
    return Object.is(actual, expected)
      ? undefined
      : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual) ?? 'nothing'}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected a list, got ${JSON.stringify(actual) ?? 'nothing'}`;
    if (actual.length !== expected.length) {
      return `${path}: expected ${expected.length} items, got ${actual.length}`;
    }
    for (const [i, item] of expected.entries()) {
      const found = difference(actual[i], item, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
    return `${path}: expected an object, got ${JSON.stringify(actual) ?? 'nothing'}`;
  }
  const keys = Object.keys(expected);
  const extra = Object.keys(actual).filter((key) => !(key in expected));
  if (extra.length > 0) return `${path}: unexpected fields ${extra.join(', ')}`;
  for (const key of keys) {
    const found = difference(
      (actual as Record<string, unknown>)[key],
      expected[key] as Json,
      `${path}.${key}`,
    );
    if (found) return found;
  }
  return undefined;
}

let expected: { data: Json } | undefined;

/**
 * Problems with a parsed response (empty when it is correct): GraphQL errors, then the first
 * difference from the expected data.
 */
export function checkFederationResponse(response: unknown): string[] {
  expected ??= expectedFederationResponse();
  if (typeof response !== 'object' || response === null) return ['the response is not a JSON object'];
  const problems: string[] = [];
  const { errors, data } = response as { errors?: unknown; data?: unknown };
  if (errors !== undefined) {
    const list = Array.isArray(errors) ? errors : [errors];
    problems.push(
      `${list.length} GraphQL error(s): ${list
        .slice(0, 3)
        .map((e) => (e as { message?: unknown }).message ?? JSON.stringify(e))
        .join('; ')}`,
    );
  }
  const found = difference(data, expected.data, 'data');
  if (found) problems.push(found);
  return problems;
}

/** `checkFederationResponse` on a raw body; a body that is not JSON is one problem. */
export function checkFederationBody(body: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [`the body is not JSON: ${body.slice(0, 200)}`];
  }
  return checkFederationResponse(parsed);
}

/**
 * The size in bytes of a correct compact JSON response. Field order does not change it, so a body
 * of another size (or one mentioning `"errors"`) is wrong without parsing it: the load generator
 * applies this to every response and the full check to a sample.
 */
export function expectedFederationBodyBytes(): number {
  expected ??= expectedFederationResponse();
  return Buffer.byteLength(JSON.stringify(expected));
}
