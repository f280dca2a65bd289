// Swagger UI in a real browser: authorize with the API key, submit the "process" example of
// POST /api/v1/jobs through "Try it out", and read the answer off the page.
//
//   node swagger-ui.spec.mjs <base-url> <api-key> <screenshot.png>
//
// Needs playwright-core in JOBEXEC_TOOLS_DIR/node_modules (.ci/tools by default) and a Chromium
// at JOBEXEC_CHROMIUM (/usr/bin/chromium by default); playwright-core downloads no browser.
// Prints what it sees and exits 0 when the page shows 202 and the queued job, 1 otherwise.
// SwaggerUiTests runs it against a service on a random port.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [baseUrl, apiKey, screenshot] = process.argv.slice(2);
if (!baseUrl || !apiKey || !screenshot) {
	console.error('usage: node swagger-ui.spec.mjs <base-url> <api-key> <screenshot.png>');
	process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const toolsDir = resolve(process.env.JOBEXEC_TOOLS_DIR || join(here, '../../../.ci/tools'));
const { chromium } = createRequire(join(toolsDir, 'package.json'))('playwright-core');
const executablePath = process.env.JOBEXEC_CHROMIUM || '/usr/bin/chromium';

const STEP_TIMEOUT = 30_000;
const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
mkdirSync(dirname(resolve(screenshot)), { recursive: true });
let failure;
try {
	page.setDefaultTimeout(STEP_TIMEOUT);
	await page.goto(`${baseUrl}/swagger-ui.html`);

	// Authorize: the X-API-Key scheme of the dialog, then close it.
	await page.locator('.auth-wrapper .btn.authorize').click();
	const apiKeyScheme = page.locator('.modal-ux .auth-container').filter({ hasText: 'X-API-Key' });
	await apiKeyScheme.locator('input').fill(apiKey);
	await apiKeyScheme.locator('button.authorize').click();
	await apiKeyScheme.getByText('Authorized').waitFor();
	console.log('authorized with the API key');
	await page.locator('.modal-ux button.close-modal').click();

	// POST /api/v1/jobs, Try it out, the "process" example.
	const operation = page.locator('#operations-Jobs-submitJob');
	await operation.locator('.opblock-summary-control').click();
	// springdoc.swagger-ui.try-it-out-enabled opens operations in "Try it out" already; then
	// the button reads "Cancel" and pressing it would leave that mode.
	const tryOut = operation.locator('button.try-out__btn');
	if ((await tryOut.innerText()).trim() === 'Try it out') {
		await tryOut.click();
	}
	console.log('try it out');
	await operation.locator('.opblock-section-request-body .examples-select select').selectOption('process');
	const body = await operation.locator('.opblock-section-request-body textarea').inputValue();
	console.log(`request body: ${body.replace(/\s+/g, ' ')}`);

	// An example in the Prefer field would make the answer wait for the job (200): clear it.
	const prefer = operation.locator('tr[data-param-name="Prefer"] input');
	if ((await prefer.count()) > 0 && (await prefer.inputValue()) !== '') {
		console.log(`cleared the prefilled Prefer: ${await prefer.inputValue()}`);
		await prefer.fill('');
	}

	await operation.locator('button.execute').click();
	const response = operation.locator('.live-responses-table .response');
	const status = (await response.locator('.response-col_status').first().innerText()).trim();
	const text = await response.locator('.response-col_description .microlight').first().innerText();
	await response.first().scrollIntoViewIfNeeded();
	await page.screenshot({ path: screenshot });
	console.log(`screenshot: ${resolve(screenshot)}`);
	console.log(`status: ${status}`);
	const job = JSON.parse(text);
	console.log(`job: id=${job.id} state=${job.state}`);
	if (status !== '202') {
		failure = `expected status 202, the page shows ${status}: ${text}`;
	}
	else if (!/^[0-9a-f-]{36}$/.test(job.id ?? '') || !['QUEUED', 'RUNNING'].includes(job.state)) {
		failure = `expected a QUEUED or RUNNING job with an id, the page shows ${text}`;
	}
}
catch (error) {
	failure = error.stack ?? String(error);
	// What the page showed when a step failed, in place of the screenshot after Execute.
	await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
	console.log(`screenshot of the failure: ${resolve(screenshot)}`);
}
finally {
	await browser.close();
}
if (failure) {
	console.error(`FAILED: ${failure}`);
	process.exit(1);
}
console.log('OK');
