'use strict';

/**
 * Text made safe to place in HTML content and in quoted attribute values.
 * @param {string} value
 */
function escapeHtml(value) {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

module.exports = { escapeHtml };
