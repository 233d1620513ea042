/** Okabe–Ito: eight colours told apart with every common colour-vision deficiency. */
export const OKABE_ITO = {
	orange: '#E69F00',
	skyBlue: '#56B4E9',
	green: '#009E73',
	yellow: '#F0E442',
	blue: '#0072B2',
	vermillion: '#D55E00',
	purple: '#CC79A7',
	black: '#000000'
} as const;
