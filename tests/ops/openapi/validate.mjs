// Validates an OpenAPI document (file given as argument) against the
// official OpenAPI 3.x JSON schema; exits non-zero listing the problems.
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";

const file = process.argv[2];
const doc = JSON.parse(readFileSync(file, "utf8"));
const validator = new Validator();
const result = await validator.validate(doc);
if (!result.valid) {
  console.error(`${file}: not a valid OpenAPI ${validator.version} document:`);
  console.error(JSON.stringify(result.errors, null, 2).slice(0, 4000));
  process.exit(1);
}
const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
console.log(`${file}: valid OpenAPI ${validator.version}: ${Object.keys(doc.paths).length} paths, ` +
            `${operations} operations, ${Object.keys(doc.components.schemas).length} schemas`);
