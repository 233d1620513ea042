import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
	{ ignores: ['build/', '.svelte-kit/', 'data/', 'node_modules/', 'bench/out/'] },
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	prettier,
	...svelte.configs.prettier,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			'no-undef': 'off',
			// The app has no base path; plain hrefs are the clearer form here.
			'svelte/no-navigation-without-resolve': 'off',
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }]
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: { parserOptions: { projectService: true, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig } }
	},
	{
		// The shared core imports neither side: domain rules and the wire protocol must run anywhere.
		files: ['src/lib/domain/**', 'src/lib/sync/**'],
		rules: {
			'no-restricted-imports': [
				'error',
				{
					patterns: [
						{
							group: ['$lib/client/*', '$lib/server/*', '**/client/**', '**/server/**'],
							message: 'domain/ and sync/ must not import client/ or server/ code.'
						},
						{ group: ['dexie', 'svelte', 'svelte/*', '@sveltejs/*', 'pg', '@electric-sql/*'], message: 'domain/ and sync/ stay free of frameworks and stores.' }
					]
				}
			]
		}
	},
	{
		// Browser code never reaches into the server.
		files: ['src/lib/client/**', 'src/lib/components/**'],
		ignores: ['**/*.spec.ts'],
		rules: {
			'no-restricted-imports': ['error', { patterns: [{ group: ['$lib/server/*', '**/server/**'], message: 'client code must not import server code.' }] }]
		}
	}
);
