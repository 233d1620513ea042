/**
 * The classic-zod twin of `cleanText` in $lib/domain/text, for server forms that chain classic
 * methods (`.trim().min(1, '…')`). The shared one is a zod/mini schema so that the tablet carries
 * no classic zod; both refuse the same characters with the same messages (`badCharCheck`).
 */
import { z } from 'zod';
import { badCharCheck, type CleanTextOptions } from '$lib/domain/text';

export function cleanText(opts: CleanTextOptions = {}): z.ZodString {
	return z.string().check(badCharCheck(opts));
}
