// SPDX-License-Identifier: MIT
// chromium_check.js: open a godiag HTML report in headless Chromium over the
// DevTools protocol (--remote-debugging-pipe, no npm packages) and prove that
// it renders and stays inert: no script is parsed or run, no dialog opens, no
// console error or CSP violation is logged, hostile strings from the target
// are text in the DOM (never elements or attributes), the page does not
// overflow sideways, and a screenshot can be taken.
//
//   node chromium_check.js REPORT.html SHOT.png [--expect TEXT]... [--hostile TEXT]... [--allow-no-chart]
//
// --expect TEXT: TEXT must occur in the rendered text (rule ids, summaries).
// --hostile TEXT: TEXT (an injection attempt) must occur literally as text.
// --allow-no-chart: a page without an SVG chart passes (a report with no findings).
// Exit 0 when every check passes; 1 with a list of failures; 2 on usage or
// when the browser cannot be driven.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

function usage() {
	console.error('usage: node chromium_check.js REPORT.html SHOT.png [--expect TEXT]... [--hostile TEXT]... [--allow-no-chart]');
	process.exit(2);
}

const argv = process.argv.slice(2);
if (argv.length < 2) usage();
const [htmlPath, shotPath] = argv;
const expect = [], hostile = [];
let allowNoChart = false;
for (let i = 2; i < argv.length; i += 2) {
	if (argv[i] === '--allow-no-chart') {
		allowNoChart = true;
		i--;
		continue;
	}
	if (i + 1 >= argv.length) usage();
	if (argv[i] === '--expect') expect.push(argv[i + 1]);
	else if (argv[i] === '--hostile') hostile.push(argv[i + 1]);
	else usage();
}

const chromiumBin = process.env.CHROMIUM || 'chromium';
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'godiag-chromium-'));
const args = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync',
	'--disable-extensions', '--disable-default-apps', '--mute-audio', '--hide-scrollbars',
	'--window-size=1280,900', '--remote-debugging-pipe', '--user-data-dir=' + profile,
	'about:blank',
];
// fd 3: our commands to the browser, fd 4: its replies; NUL-separated JSON.
const child = spawn(chromiumBin, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let stderrText = '';
child.stderr.on('data', (d) => { if (stderrText.length < 65536) stderrText += d; });
const toBrowser = child.stdio[3], fromBrowser = child.stdio[4];

let nextId = 1;
const pending = new Map();
const events = [];
const waiters = [];
let buf = Buffer.alloc(0);

function finish(code, msg) {
	if (msg) console.error(msg);
	try { child.kill('SIGKILL'); } catch (e) { /* already gone */ }
	try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* best effort */ }
	process.exit(code);
}

const overall = setTimeout(() => {
	finish(2, 'chromium_check: timed out after 90 s\n' + stderrText.slice(-4000));
}, 90000);

child.on('error', (e) => finish(2, 'chromium_check: cannot run ' + chromiumBin + ': ' + e.message));
child.on('exit', (code) => {
	if (pending.size) finish(2, 'chromium_check: browser exited (' + code + ')\n' + stderrText.slice(-4000));
});

fromBrowser.on('data', (chunk) => {
	buf = Buffer.concat([buf, chunk]);
	let z;
	while ((z = buf.indexOf(0)) >= 0) {
		const msg = JSON.parse(buf.subarray(0, z).toString('utf8'));
		buf = buf.subarray(z + 1);
		if (msg.id !== undefined && pending.has(msg.id)) {
			const { resolve, reject } = pending.get(msg.id);
			pending.delete(msg.id);
			if (msg.error) reject(new Error(JSON.stringify(msg.error)));
			else resolve(msg.result);
		} else if (msg.method) {
			events.push(msg);
			for (const w of waiters.slice()) {
				if (w.method === msg.method && (!w.sessionId || w.sessionId === msg.sessionId)) {
					waiters.splice(waiters.indexOf(w), 1);
					w.resolve(msg);
				}
			}
			// An alert() would block the page forever: record it, dismiss it.
			if (msg.method === 'Page.javascriptDialogOpening')
				send('Page.handleJavaScriptDialog', { accept: false }, msg.sessionId).catch(() => {});
		}
	}
});

function send(method, params, sessionId) {
	const id = nextId++;
	const msg = { id, method, params: params || {} };
	if (sessionId) msg.sessionId = sessionId;
	return new Promise((resolve, reject) => {
		pending.set(id, { resolve, reject });
		toBrowser.write(JSON.stringify(msg) + '\0');
	});
}

function waitEvent(method, sessionId, ms) {
	return new Promise((resolve, reject) => {
		const w = { method, sessionId, resolve };
		waiters.push(w);
		setTimeout(() => {
			const i = waiters.indexOf(w);
			if (i >= 0) {
				waiters.splice(i, 1);
				reject(new Error('no ' + method + ' within ' + ms + ' ms'));
			}
		}, ms);
	});
}

// Runs inside the page through DevTools (not subject to the page's CSP).
function inspect(expectList, hostileList) {
	const all = Array.from(document.querySelectorAll('*'));
	const onAttrs = [];
	const srcAttrs = [];
	for (const el of all) {
		for (const a of Array.from(el.attributes)) {
			if (/^on/i.test(a.name)) onAttrs.push(el.tagName + ' ' + a.name);
			if (/^(src|srcset|action|formaction|data|poster|background)$/i.test(a.name))
				srcAttrs.push(el.tagName + ' ' + a.name);
		}
	}
	const text = document.body ? document.body.innerText : '';
	const csp = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
	return {
		title: document.title,
		elements: all.length,
		tags: Array.from(new Set(all.map((e) => e.tagName.toLowerCase()))).sort(),
		scripts: document.querySelectorAll('script').length,
		imgs: document.querySelectorAll('img,iframe,object,embed,link,base,form,input,video,audio').length,
		jsLinks: Array.from(document.querySelectorAll('a[href]')).filter((a) => !/^(https?:|#)/i.test(a.getAttribute('href'))).length,
		links: document.querySelectorAll('a[href^="https:"]').length,
		onAttrs,
		srcAttrs,
		svgs: document.querySelectorAll('svg').length,
		rects: document.querySelectorAll('svg rect').length,
		csp: csp ? csp.getAttribute('content') : null,
		missingExpect: expectList.filter((t) => !text.includes(t)),
		missingHostile: hostileList.filter((t) => !text.includes(t)),
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: window.innerWidth,
		scrollHeight: document.documentElement.scrollHeight,
		textLength: text.length,
	};
}

async function main() {
	const url = 'file://' + path.resolve(htmlPath);
	const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
	const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
	const s = (m, p) => send(m, p, sessionId);
	await s('Page.enable');
	await s('Runtime.enable');
	await s('Log.enable');
	await s('Debugger.enable');
	await s('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });
	const loaded = waitEvent('Page.loadEventFired', sessionId, 30000);
	const nav = await s('Page.navigate', { url });
	if (nav.errorText) throw new Error('navigate: ' + nav.errorText);
	await loaded;
	// give deferred work (none expected) a moment to show up
	await new Promise((r) => setTimeout(r, 500));
	const ev = await s('Runtime.evaluate', {
		expression: '(' + inspect.toString() + ')(' + JSON.stringify(expect) + ',' + JSON.stringify(hostile) + ')',
		returnByValue: true,
	});
	if (ev.exceptionDetails) throw new Error('inspect failed: ' + JSON.stringify(ev.exceptionDetails));
	const info = ev.result.value;
	const shot = await s('Page.captureScreenshot', { format: 'png', captureBeyondViewport: false });
	fs.writeFileSync(shotPath, Buffer.from(shot.data, 'base64'));

	const mine = events.filter((e) => e.sessionId === sessionId);
	const dialogs = mine.filter((e) => e.method === 'Page.javascriptDialogOpening').map((e) => e.params.message);
	const exceptions = mine.filter((e) => e.method === 'Runtime.exceptionThrown')
		.map((e) => e.params.exceptionDetails.text);
	const consoleCalls = mine.filter((e) => e.method === 'Runtime.consoleAPICalled').map((e) => e.params.type);
	const logErrors = mine.filter((e) => e.method === 'Log.entryAdded' &&
		(e.params.entry.level === 'error' || e.params.entry.level === 'warning'))
		.map((e) => e.params.entry.source + ': ' + e.params.entry.text);
	// Scripts parsed in the page itself (our Runtime.evaluate has no URL).
	const pageScripts = mine.filter((e) => e.method === 'Debugger.scriptParsed' && e.params.url &&
		e.params.url.startsWith('file:')).map((e) => e.params.url);

	const failures = [];
	const check = (ok, what) => { if (!ok) failures.push(what); };
	check(dialogs.length === 0, 'a dialog opened (script ran): ' + JSON.stringify(dialogs));
	check(pageScripts.length === 0, 'the page parsed scripts: ' + JSON.stringify(pageScripts));
	check(exceptions.length === 0, 'script exceptions: ' + JSON.stringify(exceptions));
	check(consoleCalls.length === 0, 'console calls: ' + JSON.stringify(consoleCalls));
	check(logErrors.length === 0, 'console errors/warnings (CSP violations?): ' + JSON.stringify(logErrors));
	check(info.scripts === 0, info.scripts + ' <script> elements in the DOM');
	check(info.imgs === 0, info.imgs + ' img/iframe/object/link/form elements in the DOM');
	check(info.onAttrs.length === 0, 'event-handler attributes: ' + JSON.stringify(info.onAttrs));
	check(info.srcAttrs.length === 0, 'resource attributes: ' + JSON.stringify(info.srcAttrs));
	check(info.jsLinks === 0, info.jsLinks + ' links that are not http(s) or in-page');
	check(info.csp && /default-src 'none'/.test(info.csp), 'no strict CSP meta: ' + info.csp);
	check(allowNoChart || (info.svgs >= 1 && info.rects >= 2), 'no SVG bar chart (svg ' + info.svgs + ', rect ' + info.rects + ')');
	check(info.missingExpect.length === 0, 'expected text missing: ' + JSON.stringify(info.missingExpect));
	check(info.missingHostile.length === 0, 'hostile strings not shown as text: ' + JSON.stringify(info.missingHostile));
	check(info.scrollWidth <= info.innerWidth + 2,
		'page overflows sideways: scrollWidth ' + info.scrollWidth + ' > ' + info.innerWidth);
	const png = fs.readFileSync(shotPath);
	check(png.length > 10000 && png.subarray(1, 4).toString() === 'PNG', 'screenshot is not a real PNG (' + png.length + ' bytes)');

	console.log(JSON.stringify({
		title: info.title, elements: info.elements, tags: info.tags, svgs: info.svgs, rects: info.rects,
		links: info.links, textLength: info.textLength, scrollWidth: info.scrollWidth,
		scrollHeight: info.scrollHeight, screenshotBytes: png.length, dialogs: dialogs.length,
		pageScripts: pageScripts.length, logErrors: logErrors.length,
	}));
	await send('Browser.close').catch(() => {});
	clearTimeout(overall);
	if (failures.length) finish(1, 'chromium_check: ' + failures.length + ' failure(s):\n  ' + failures.join('\n  '));
	finish(0);
}

main().catch((e) => finish(2, 'chromium_check: ' + e.message + '\n' + stderrText.slice(-4000)));
